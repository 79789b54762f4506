// Package core holds the strategies of the core (legacy, group "") API
// resources: defaulting, create/update preparation, validation, the status
// split and field selectors, following Kubernetes' core/v1 defaulters,
// registry strategies and core validation.
package core

import (
	"strconv"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the strategies of the core API keyed by resource.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"namespaces":             namespaceStrategy(),
		"pods":                   podStrategy(),
		"services":               serviceStrategy(),
		"endpoints":              endpointsStrategy(),
		"nodes":                  nodeStrategy(),
		"configmaps":             configMapStrategy(),
		"secrets":                secretStrategy(),
		"serviceaccounts":        serviceAccountStrategy(),
		"events":                 eventStrategy(),
		"persistentvolumes":      pvStrategy(),
		"persistentvolumeclaims": pvcStrategy(),
		"resourcequotas":         quotaStrategy(),
		"limitranges":            limitRangeStrategy(),
		"replicationcontrollers": rcStrategy(),
		"podtemplates":           podTemplateStrategy(),
	}
}

// object is the strategy of a kind with a spec and a status subresource,
// assembled from per-kind functions. Every function may be nil.
type object[T runtime.Object] struct {
	namespaced bool
	// nameFn validates metadata.name; nil means DNS-1123 subdomain.
	nameFn   apivalidation.ValidateNameFunc
	defaults func(T)
	// create clears or sets server-owned state of a new object.
	create func(T)
	// update adjusts a main-resource update beyond keeping the status.
	update func(obj, old T)
	// spec returns what metadata.generation counts; nil: it never moves.
	spec func(T) any
	// keepStatus copies old's status into obj.
	keepStatus func(obj, old T)
	// keepSpec copies into obj what a status writer may not change.
	keepSpec func(obj, old T)
	validate func(T) field.ErrorList
	// validateUpdate checks what may not change (immutable fields).
	validateUpdate func(obj, old T) field.ErrorList
	// validateStatus checks a status update beyond its metadata.
	validateStatus func(obj, old T) field.ErrorList
	// fields adds selectable fields to metadata.name and .namespace.
	fields func(T) fields.Set
}

func (s object[T]) Default(obj runtime.Object) {
	if s.defaults != nil {
		s.defaults(obj.(T))
	}
}

func (s object[T]) PrepareForCreate(obj runtime.Object) {
	if s.create != nil {
		s.create(obj.(T))
	}
}

// Generational reports whether the kind counts spec changes.
func (s object[T]) Generational() bool { return s.spec != nil }

func (s object[T]) PrepareForUpdate(obj, old runtime.Object) {
	if s.keepStatus != nil {
		s.keepStatus(obj.(T), old.(T))
	}
	if s.update != nil {
		s.update(obj.(T), old.(T))
	}
	if s.spec != nil {
		rest.BumpGeneration(obj, old, func(o runtime.Object) any { return s.spec(o.(T)) })
	}
}

func (s object[T]) Validate(obj runtime.Object) field.ErrorList {
	errs := rest.ValidateMeta(obj, s.namespaced, s.nameFn)
	if s.validate != nil {
		errs = append(errs, s.validate(obj.(T))...)
	}
	return errs
}

func (s object[T]) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	errs := rest.ValidateMetaUpdate(obj, old)
	if s.validate != nil {
		errs = append(errs, s.validate(obj.(T))...)
	}
	if s.validateUpdate != nil {
		errs = append(errs, s.validateUpdate(obj.(T), old.(T))...)
	}
	return errs
}

// PrepareForStatusUpdate keeps old's spec; metadata and status come from
// the request, as Kubernetes' core status strategies do.
func (s object[T]) PrepareForStatusUpdate(obj, old runtime.Object) {
	if s.keepSpec != nil {
		s.keepSpec(obj.(T), old.(T))
	}
}

func (s object[T]) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	errs := rest.ValidateMetaUpdate(obj, old)
	if s.validateStatus != nil {
		errs = append(errs, s.validateStatus(obj.(T), old.(T))...)
	}
	return errs
}

func (s object[T]) SelectableFields(obj runtime.Object) fields.Set {
	set := metaFields(obj, s.namespaced)
	if s.fields != nil {
		for k, v := range s.fields(obj.(T)) {
			set[k] = v
		}
	}
	return set
}

// simpleWithFields is a status-less kind with extra selectable fields.
type simpleWithFields[T runtime.Object] struct {
	rest.Simple
	fields func(T) fields.Set
}

func (s simpleWithFields[T]) SelectableFields(obj runtime.Object) fields.Set {
	set := metaFields(obj, s.Namespaced)
	for k, v := range s.fields(obj.(T)) {
		set[k] = v
	}
	return set
}

func metaFields(obj runtime.Object, namespaced bool) fields.Set {
	m := rest.Meta(obj)
	set := fields.Set{"metadata.name": m.Name}
	if namespaced {
		set["metadata.namespace"] = m.Namespace
	}
	return set
}

// typed adapts a typed validation function to rest.Simple's signature.
func typed[T runtime.Object](fn func(T) field.ErrorList) func(runtime.Object) field.ErrorList {
	return func(obj runtime.Object) field.ErrorList { return fn(obj.(T)) }
}

func nonNegative(v int64, p *field.Path) field.ErrorList {
	return apivalidation.ValidateNonnegativeField(v, p)
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func ptr[T any](v T) *T { return &v }
