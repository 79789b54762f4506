// Package workload holds what the strategies of the workload API groups
// (apps, batch, autoscaling, policy) share: a strategy for kinds with a
// spec and a status (which flowcontrol and admission policies use too),
// and the validation of selectors, pod templates, int-or-percent values
// and status counters.
package workload

import (
	"reflect"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategy is the rest.Strategy and rest.StatusStrategy of a kind whose
// typed struct has Spec and Status fields. Every function may be nil.
type Strategy struct {
	// ClusterScoped kinds have no namespace.
	ClusterScoped bool
	// NameFn validates metadata.name on create; nil means DNS-1123 subdomain.
	NameFn apivalidation.ValidateNameFunc
	// DefaultFn fills unset fields.
	DefaultFn func(obj runtime.Object)
	// PrepareCreateFn runs on create after the status is cleared.
	PrepareCreateFn func(obj runtime.Object)
	// GenerationFn returns what bumps metadata.generation when it changes;
	// nil means the spec.
	GenerationFn func(obj runtime.Object) any
	// PrepareUpdateFn runs on update after the status is restored and the
	// generation bumped.
	PrepareUpdateFn func(obj, old runtime.Object)
	// ValidateFn checks the body of a new or updated object.
	ValidateFn func(obj runtime.Object) field.ErrorList
	// ValidateCreateFn checks what only a new object must satisfy.
	ValidateCreateFn func(obj runtime.Object) field.ErrorList
	// ValidateUpdateFn checks what may not change.
	ValidateUpdateFn func(obj, old runtime.Object) field.ErrorList
	// ValidateStatusFn checks a status update.
	ValidateStatusFn func(obj, old runtime.Object) field.ErrorList
}

var (
	_ rest.Strategy       = Strategy{}
	_ rest.StatusStrategy = Strategy{}
)

// Default runs DefaultFn.
func (s Strategy) Default(obj runtime.Object) {
	if s.DefaultFn != nil {
		s.DefaultFn(obj)
	}
}

// PrepareForCreate clears the status: it belongs to the controllers.
func (s Strategy) PrepareForCreate(obj runtime.Object) {
	status := statusOf(obj)
	status.Set(reflect.Zero(status.Type()))
	if s.PrepareCreateFn != nil {
		s.PrepareCreateFn(obj)
	}
}

// PrepareForUpdate keeps the old status and bumps the generation when the
// spec (or what GenerationFn returns) changed.
func (s Strategy) PrepareForUpdate(obj, old runtime.Object) {
	statusOf(obj).Set(reflect.ValueOf(old.DeepCopyObject()).Elem().FieldByName("Status"))
	gen := s.GenerationFn
	if gen == nil {
		gen = Spec
	}
	rest.BumpGeneration(obj, old, gen)
	if s.PrepareUpdateFn != nil {
		s.PrepareUpdateFn(obj, old)
	}
}

// Validate checks metadata and body of a new object.
func (s Strategy) Validate(obj runtime.Object) field.ErrorList {
	errs := rest.ValidateMeta(obj, !s.ClusterScoped, s.NameFn)
	errs = append(errs, call1(s.ValidateFn, obj)...)
	return append(errs, call1(s.ValidateCreateFn, obj)...)
}

// ValidateUpdate checks metadata, body and immutable fields of an update.
func (s Strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	errs := rest.ValidateMetaUpdate(obj, old)
	errs = append(errs, call1(s.ValidateFn, obj)...)
	return append(errs, call2(s.ValidateUpdateFn, obj, old)...)
}

// PrepareForStatusUpdate keeps old's spec and labels, as Kubernetes'
// workload status strategies do: a status writer may still change
// annotations (the deployment controller records the revision there).
func (Strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	v, o := reflect.ValueOf(obj).Elem(), reflect.ValueOf(old.DeepCopyObject()).Elem()
	v.FieldByName("Spec").Set(o.FieldByName("Spec"))
	rest.Meta(obj).Labels = rest.Meta(old).DeepCopy().Labels
}

// ValidateStatusUpdate checks metadata and the new status.
func (s Strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return append(rest.ValidateMetaUpdate(obj, old), call2(s.ValidateStatusFn, obj, old)...)
}

// Spec returns the Spec field of a typed API object.
func Spec(obj runtime.Object) any {
	return reflect.ValueOf(obj).Elem().FieldByName("Spec").Interface()
}

func statusOf(obj runtime.Object) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName("Status")
}

func call1(fn func(runtime.Object) field.ErrorList, obj runtime.Object) field.ErrorList {
	if fn == nil {
		return nil
	}
	return fn(obj)
}

func call2(fn func(obj, old runtime.Object) field.ErrorList, obj, old runtime.Object) field.ErrorList {
	if fn == nil {
		return nil
	}
	return fn(obj, old)
}

// SelectableFields returns metadata.name and metadata.namespace of obj plus
// the given field and value pairs.
func SelectableFields(obj runtime.Object, kv ...string) fields.Set {
	m := rest.Meta(obj)
	set := fields.Set{"metadata.name": m.Name, "metadata.namespace": m.Namespace}
	for i := 0; i+1 < len(kv); i += 2 {
		set[kv[i]] = kv[i+1]
	}
	return set
}
