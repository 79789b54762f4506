// Package node holds the strategies of node.k8s.io.
package node

import (
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the strategies of node.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{"runtimeclasses": rest.Simple{
		ValidateFn:       validateClass,
		ValidateUpdateFn: validateClassUpdate,
	}}
}

// validateClass checks a RuntimeClass: the handler is a DNS label (the
// name a CRI runtime knows it by), the overhead valid pod resources, the
// scheduling constraints valid node labels and tolerations.
func validateClass(obj runtime.Object) field.ErrorList {
	rc := obj.(*nodev1.RuntimeClass)
	var errs field.ErrorList
	for _, msg := range apivalidation.NameIsDNSLabel(rc.Handler, false) {
		errs = append(errs, field.Invalid(field.NewPath("handler"), rc.Handler, msg))
	}
	if rc.Overhead != nil {
		errs = append(errs, podspec.ValidateOverhead(rc.Overhead.PodFixed, field.NewPath("overhead", "podFixed"))...)
	}
	if s := rc.Scheduling; s != nil {
		p := field.NewPath("scheduling")
		errs = append(errs, metavalidation.ValidateLabels(s.NodeSelector, p.Child("nodeSelector"))...)
		errs = append(errs, validateTolerations(s.Tolerations, p.Child("tolerations"))...)
	}
	return errs
}

// validateTolerations adds to the pod checks that no two tolerations
// share key, operator, value and effect.
func validateTolerations(ts []corev1.Toleration, p *field.Path) field.ErrorList {
	errs := podspec.ValidateTolerations(ts, p)
	seen := map[corev1.Toleration]bool{}
	for i, t := range ts {
		key := corev1.Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect}
		if seen[key] {
			errs = append(errs, field.Duplicate(p.Index(i), t))
		}
		seen[key] = true
	}
	return errs
}

// validateClassUpdate keeps the handler: pods already run with it.
func validateClassUpdate(obj, old runtime.Object) field.ErrorList {
	return apivalidation.ValidateImmutableField(obj.(*nodev1.RuntimeClass).Handler, old.(*nodev1.RuntimeClass).Handler, field.NewPath("handler"))
}
