// Package admissionregistration holds the strategies of
// admissionregistration.k8s.io/v1: webhook configurations,
// ValidatingAdmissionPolicies and their bindings, defaulted and validated
// as Kubernetes does.
package admissionregistration

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// Strategies returns the strategies of admissionregistration.k8s.io: all
// cluster-scoped; the policies have a status the API server writes.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"validatingwebhookconfigurations":   rest.Simple{DefaultFn: defaultValidatingConfig, ValidateFn: validateValidatingConfig, GenerationFn: webhooksOf},
		"mutatingwebhookconfigurations":     rest.Simple{DefaultFn: defaultMutatingConfig, ValidateFn: validateMutatingConfig, GenerationFn: webhooksOf},
		"validatingadmissionpolicies":       workload.Strategy{ClusterScoped: true, DefaultFn: defaultPolicy, ValidateFn: validatePolicy},
		"validatingadmissionpolicybindings": rest.Simple{DefaultFn: defaultBinding, ValidateFn: validateBinding, GenerationFn: workload.Spec},
	}
}

func webhooksOf(obj runtime.Object) any {
	return reflect.ValueOf(obj).Elem().FieldByName("Webhooks").Interface()
}
