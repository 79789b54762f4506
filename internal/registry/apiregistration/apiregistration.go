// Package apiregistration holds the strategy of apiregistration.k8s.io/v1
// APIServices: defaults and validation as kube-aggregator applies them.
package apiregistration

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the strategies of the apiregistration group.
func Strategies() rest.Strategies {
	return rest.Strategies{"apiservices": Strategy{}}
}

// Strategy is the APIService strategy: cluster-scoped, with a status
// subresource that only the availability checks write.
type Strategy struct{}

var (
	_ rest.Strategy       = Strategy{}
	_ rest.StatusStrategy = Strategy{}
)

var specPath = field.NewPath("spec")

// Default sets the service port to 443.
func (Strategy) Default(obj runtime.Object) {
	if svc := obj.(*apiregv1.APIService).Spec.Service; svc != nil && svc.Port == nil {
		port := int32(443)
		svc.Port = &port
	}
}

// PrepareForCreate clears the status.
func (Strategy) PrepareForCreate(obj runtime.Object) {
	obj.(*apiregv1.APIService).Status = apiregv1.APIServiceStatus{}
}

// PrepareForUpdate keeps the old status.
func (Strategy) PrepareForUpdate(obj, old runtime.Object) {
	old.(*apiregv1.APIService).Status.DeepCopyInto(&obj.(*apiregv1.APIService).Status)
}

// Generational reports false: kube-aggregator does not set generation.
func (Strategy) Generational() bool { return false }

// Validate checks a new APIService.
func (Strategy) Validate(obj runtime.Object) field.ErrorList {
	return Validate(obj.(*apiregv1.APIService))
}

// ValidateUpdate checks an update: the same rules as on create.
func (Strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	errs := rest.ValidateMetaUpdate(obj, old)
	return append(errs, validateSpec(obj.(*apiregv1.APIService))...)
}

// PrepareForStatusUpdate keeps the old spec and labels.
func (Strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	a, o := obj.(*apiregv1.APIService), old.(*apiregv1.APIService)
	o.Spec.DeepCopyInto(&a.Spec)
	a.Labels = o.DeepCopy().Labels
}

// ValidateStatusUpdate checks the metadata of a status update.
func (Strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return rest.ValidateMetaUpdate(obj, old)
}

// Validate applies kube-aggregator's ValidateAPIService.
func Validate(a *apiregv1.APIService) field.ErrorList {
	want := a.Spec.Version + "." + a.Spec.Group
	errs := rest.ValidateMeta(a, false, func(name string, _ bool) []string {
		if bad := path.IsValidPathSegmentName(name); len(bad) > 0 {
			return bad
		}
		if name != want {
			return []string{fmt.Sprintf("must be `spec.version+\".\"+spec.group`: %q", want)}
		}
		return nil
	})
	return append(errs, validateSpec(a)...)
}

// validateSpec checks the spec; Kubernetes runs it on create and update.
func validateSpec(a *apiregv1.APIService) field.ErrorList {
	var errs field.ErrorList
	spec := a.Spec
	if spec.Group == "" && spec.Version != "v1" {
		errs = append(errs, field.Required(specPath.Child("group"), "only v1 may have an empty group and it better be legacy kube"))
	}
	if spec.Group != "" {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(spec.Group) {
			errs = append(errs, field.Invalid(specPath.Child("group"), spec.Group, msg))
		}
	}
	for _, msg := range utilvalidation.IsDNS1035Label(spec.Version) {
		errs = append(errs, field.Invalid(specPath.Child("version"), spec.Version, msg))
	}
	if spec.GroupPriorityMinimum <= 0 || spec.GroupPriorityMinimum > 20000 {
		errs = append(errs, field.Invalid(specPath.Child("groupPriorityMinimum"), spec.GroupPriorityMinimum, "must be positive and less than 20000"))
	}
	if spec.VersionPriority <= 0 || spec.VersionPriority > 1000 {
		errs = append(errs, field.Invalid(specPath.Child("versionPriority"), spec.VersionPriority, "must be positive and less than 1000"))
	}
	if spec.Service == nil {
		return append(errs, validateLocal(spec)...)
	}
	return append(errs, validateService(spec)...)
}

func validateLocal(spec apiregv1.APIServiceSpec) field.ErrorList {
	var errs field.ErrorList
	if len(spec.CABundle) != 0 {
		errs = append(errs, field.Invalid(specPath.Child("caBundle"), fmt.Sprintf("%d bytes", len(spec.CABundle)), "local APIServices may not have a caBundle"))
	}
	if spec.InsecureSkipTLSVerify {
		errs = append(errs, field.Invalid(specPath.Child("insecureSkipTLSVerify"), spec.InsecureSkipTLSVerify, "local APIServices may not have insecureSkipTLSVerify"))
	}
	return errs
}

func validateService(spec apiregv1.APIServiceSpec) field.ErrorList {
	var errs field.ErrorList
	svc, svcPath := spec.Service, specPath.Child("service")
	if svc.Namespace == "" {
		errs = append(errs, field.Required(svcPath.Child("namespace"), ""))
	}
	if svc.Name == "" {
		errs = append(errs, field.Required(svcPath.Child("name"), ""))
	}
	if svc.Port != nil {
		if bad := utilvalidation.IsValidPortNum(int(*svc.Port)); len(bad) > 0 {
			errs = append(errs, field.Invalid(svcPath.Child("port"), *svc.Port, "port is not valid: "+strings.Join(bad, ", ")))
		}
	}
	if spec.InsecureSkipTLSVerify && len(spec.CABundle) > 0 {
		errs = append(errs, field.Invalid(specPath.Child("insecureSkipTLSVerify"), spec.InsecureSkipTLSVerify, "may not be true if caBundle is present"))
	}
	return errs
}
