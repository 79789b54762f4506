package networking

import (
	networkingv1 "k8s.io/api/networking/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const maxControllerLen = 250

var scopes = []string{networkingv1.IngressClassParametersReferenceScopeNamespace, networkingv1.IngressClassParametersReferenceScopeCluster}

func defaultIngressClass(obj runtime.Object) {
	if p := obj.(*networkingv1.IngressClass).Spec.Parameters; p != nil && p.Scope == nil {
		p.Scope = new(networkingv1.IngressClassParametersReferenceScopeCluster)
	}
}

func validateIngressClass(obj runtime.Object) field.ErrorList {
	spec := &obj.(*networkingv1.IngressClass).Spec
	p := field.NewPath("spec", "controller")
	var errs field.ErrorList
	switch c := spec.Controller; {
	case c == "":
		errs = append(errs, field.Required(p, ""))
	case len(c) > maxControllerLen:
		errs = append(errs, field.TooLong(p, "", maxControllerLen))
	default:
		errs = append(errs, utilvalidation.IsDomainPrefixedPath(p, c)...)
	}
	return append(errs, validateParameters(spec.Parameters, field.NewPath("spec", "parameters"))...)
}

// validateParameters checks the reference and that its namespace is set
// exactly when its scope is Namespace.
func validateParameters(params *networkingv1.IngressClassParametersReference, p *field.Path) field.ErrorList {
	if params == nil {
		return nil
	}
	errs := validateLocalRef(params.APIGroup, params.Kind, params.Name, p)
	switch {
	case params.Scope == nil:
		errs = append(errs, field.Required(p.Child("scope"), ""))
	case *params.Scope == networkingv1.IngressClassParametersReferenceScopeNamespace:
		if params.Namespace == nil {
			errs = append(errs, field.Required(p.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
		} else {
			errs = append(errs, invalid(p.Child("namespace"), *params.Namespace, apivalidation.ValidateNamespaceName(*params.Namespace, false))...)
		}
	case *params.Scope == networkingv1.IngressClassParametersReferenceScopeCluster:
		if params.Namespace != nil {
			errs = append(errs, field.Forbidden(p.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("scope"), *params.Scope, scopes))
	}
	return errs
}

// validateIngressClassUpdate keeps the controller: ingresses of the class
// were handed to it.
func validateIngressClassUpdate(obj, old runtime.Object) field.ErrorList {
	return apivalidation.ValidateImmutableField(obj.(*networkingv1.IngressClass).Spec.Controller,
		old.(*networkingv1.IngressClass).Spec.Controller, field.NewPath("spec", "controller"))
}
