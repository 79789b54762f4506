// Package flowcontrol holds the strategies of flowcontrol.apiserver.k8s.io:
// FlowSchemas and PriorityLevelConfigurations, defaulted and validated as
// Kubernetes' flowcontrol v1 API does.
package flowcontrol

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// Strategies returns the strategies of flowcontrol.apiserver.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"flowschemas":                 strategy{defaults: defaultFlowSchema, validate: validateFlowSchema, validateStatus: validateFlowSchemaStatus},
		"prioritylevelconfigurations": strategy{defaults: defaultPriorityLevel, validate: validatePriorityLevel, validateStatus: validatePriorityLevelStatus},
	}
}

// strategy is the rest.Strategy and rest.StatusStrategy of a cluster-scoped
// kind with Spec and Status fields, whose status the API server writes.
type strategy struct {
	defaults       func(obj runtime.Object)
	validate       func(obj runtime.Object) field.ErrorList
	validateStatus func(obj runtime.Object) field.ErrorList
}

var (
	_ rest.Strategy       = strategy{}
	_ rest.StatusStrategy = strategy{}
)

// Default applies flowcontrol v1's defaults.
func (s strategy) Default(obj runtime.Object) { s.defaults(obj) }

// PrepareForCreate clears the status.
func (strategy) PrepareForCreate(obj runtime.Object) {
	st := structField(obj, "Status")
	st.Set(reflect.Zero(st.Type()))
}

// PrepareForUpdate keeps the status and bumps the generation on spec changes.
func (strategy) PrepareForUpdate(obj, old runtime.Object) {
	structField(obj, "Status").Set(structField(old.DeepCopyObject(), "Status"))
	rest.BumpGeneration(obj, old, workload.Spec)
}

// Validate checks metadata and spec of a new object.
func (s strategy) Validate(obj runtime.Object) field.ErrorList {
	return append(rest.ValidateMeta(obj, false, nil), s.validate(obj)...)
}

// ValidateUpdate checks an update like a new object: nothing is immutable.
func (s strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	return append(rest.ValidateMetaUpdate(obj, old), s.validate(obj)...)
}

// PrepareForStatusUpdate keeps the old spec.
func (strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	structField(obj, "Spec").Set(structField(old.DeepCopyObject(), "Spec"))
}

// ValidateStatusUpdate checks metadata and the conditions.
func (s strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return append(rest.ValidateMetaUpdate(obj, old), s.validateStatus(obj)...)
}

func structField(obj runtime.Object, name string) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName(name)
}
