package core

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// podTemplateStrategy stores PodTemplates: a pod template defaulted and
// validated as a controller's is, at "template".
func podTemplateStrategy() rest.Simple {
	return rest.Simple{
		Namespaced: true,
		DefaultFn:  func(obj runtime.Object) { podspec.DefaultPodTemplate(&obj.(*corev1.PodTemplate).Template) },
		ValidateFn: typed(func(pt *corev1.PodTemplate) field.ErrorList {
			return podspec.ValidatePodTemplate(&pt.Template, field.NewPath("template"))
		}),
	}
}
