// Package admissionregistration holds the strategies of
// admissionregistration.k8s.io/v1: webhook configurations,
// ValidatingAdmissionPolicies and their bindings, defaulted and validated
// as Kubernetes does.
package admissionregistration

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the strategies of admissionregistration.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"validatingwebhookconfigurations":   strategy{defaultFn: defaultValidatingConfig, validateFn: validateValidatingConfig, generationOf: webhooksOf},
		"mutatingwebhookconfigurations":     strategy{defaultFn: defaultMutatingConfig, validateFn: validateMutatingConfig, generationOf: webhooksOf},
		"validatingadmissionpolicies":       strategy{defaultFn: defaultPolicy, validateFn: validatePolicy, generationOf: specOf, status: true},
		"validatingadmissionpolicybindings": strategy{defaultFn: defaultBinding, validateFn: validateBinding, generationOf: specOf},
	}
}

// strategy serves a cluster-scoped kind whose generation counts changes
// of what generationOf returns; with status, its status is owned by the
// status subresource.
type strategy struct {
	defaultFn    func(runtime.Object)
	validateFn   func(runtime.Object) field.ErrorList
	generationOf func(runtime.Object) any
	status       bool
}

var (
	_ rest.Strategy       = strategy{}
	_ rest.StatusStrategy = strategy{}
)

func (s strategy) Default(obj runtime.Object) { s.defaultFn(obj) }

func (s strategy) PrepareForCreate(obj runtime.Object) {
	if s.status {
		st := fieldOf(obj, "Status")
		st.Set(reflect.Zero(st.Type()))
	}
}

func (s strategy) PrepareForUpdate(obj, old runtime.Object) {
	if s.status {
		fieldOf(obj, "Status").Set(fieldOf(old.DeepCopyObject(), "Status"))
	}
	rest.BumpGeneration(obj, old, s.generationOf)
}

func (s strategy) Validate(obj runtime.Object) field.ErrorList {
	return append(rest.ValidateMeta(obj, false, nil), s.validateFn(obj)...)
}

func (s strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	return append(rest.ValidateMetaUpdate(obj, old), s.validateFn(obj)...)
}

// PrepareForStatusUpdate keeps the old spec: only the status changes.
func (s strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	fieldOf(obj, "Spec").Set(fieldOf(old.DeepCopyObject(), "Spec"))
}

func (s strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return rest.ValidateMetaUpdate(obj, old)
}

func fieldOf(obj runtime.Object, name string) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName(name)
}

func webhooksOf(obj runtime.Object) any { return fieldOf(obj, "Webhooks").Interface() }
func specOf(obj runtime.Object) any     { return fieldOf(obj, "Spec").Interface() }
