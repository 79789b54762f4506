// Package networking holds the strategies of networking.k8s.io.
package networking

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the strategies of networking.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"ingresses": ingressStrategy{specStrategy{rest.Simple{Namespaced: true,
			ValidateFn: validateIngress,
		}, ingressSpec}},
		"ingressclasses": specStrategy{rest.Simple{
			DefaultFn: defaultIngressClass, ValidateFn: validateIngressClass, ValidateUpdateFn: validateIngressClassUpdate,
		}, ingressClassSpec},
		"networkpolicies": specStrategy{rest.Simple{Namespaced: true,
			DefaultFn: defaultNetworkPolicy, ValidateFn: validateNetworkPolicy,
		}, networkPolicySpec},
	}
}

// specStrategy is Simple for a kind with a spec: metadata.generation
// counts spec changes.
type specStrategy struct {
	rest.Simple
	spec func(runtime.Object) any
}

func (specStrategy) Generational() bool { return true }

func (s specStrategy) PrepareForUpdate(obj, old runtime.Object) {
	rest.BumpGeneration(obj, old, s.spec)
}

func ingressSpec(obj runtime.Object) any { return obj.(*networkingv1.Ingress).Spec }

func ingressClassSpec(obj runtime.Object) any { return obj.(*networkingv1.IngressClass).Spec }

func networkPolicySpec(obj runtime.Object) any { return obj.(*networkingv1.NetworkPolicy).Spec }

// invalid turns validator messages into errors at p.
func invalid(p *field.Path, v any, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, m := range msgs {
		errs = append(errs, field.Invalid(p, v, m))
	}
	return errs
}

// validateLocalRef checks a reference to an object of any kind: backend
// resources and IngressClass parameters.
func validateLocalRef(apiGroup *string, kind, name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if apiGroup != nil {
		errs = invalid(p.Child("apiGroup"), *apiGroup, utilvalidation.IsDNS1123Subdomain(*apiGroup))
	}
	for _, f := range []struct{ name, value string }{{"kind", kind}, {"name", name}} {
		if f.value == "" {
			errs = append(errs, field.Required(p.Child(f.name), ""))
			continue
		}
		errs = append(errs, invalid(p.Child(f.name), f.value, content.IsPathSegmentName(f.value))...)
	}
	return errs
}
