package rest

import (
	"k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var metaPath = field.NewPath("metadata")

// Meta returns the ObjectMeta of a typed API object.
func Meta(obj runtime.Object) *metav1.ObjectMeta {
	// Strategies only see typed API objects, which all embed ObjectMeta.
	return obj.(metav1.ObjectMetaAccessor).GetObjectMeta().(*metav1.ObjectMeta)
}

// ValidateMeta checks the metadata of a new object as Kubernetes does:
// name (nameFn, DNS-1123 subdomain when nil), namespace present exactly
// when namespaced, labels, annotations, owner references, finalizers.
func ValidateMeta(obj runtime.Object, namespaced bool, nameFn apivalidation.ValidateNameFunc) field.ErrorList {
	if nameFn == nil {
		nameFn = apivalidation.NameIsDNSSubdomain
	}
	return apivalidation.ValidateObjectMeta(Meta(obj), namespaced, nameFn, metaPath)
}

// ValidateMetaUpdate checks an update's metadata: the immutable parts stay
// and the mutable parts are still valid.
func ValidateMetaUpdate(obj, old runtime.Object) field.ErrorList {
	return apivalidation.ValidateObjectMetaUpdate(Meta(obj), Meta(old), metaPath)
}

// BumpGeneration increments metadata.generation of obj when its spec
// differs from old's. Kubernetes counts spec changes only.
func BumpGeneration(obj, old runtime.Object, spec func(runtime.Object) any) {
	if !equality.Semantic.DeepEqual(spec(obj), spec(old)) {
		Meta(obj).Generation = Meta(old).Generation + 1
	}
}

// Simple is the strategy of a kind without a status, such as a ConfigMap:
// defaulting and validation of its body are given as functions (each may
// be nil); metadata is validated here.
type Simple struct {
	Namespaced bool
	// NameFn validates metadata.name; nil means DNS-1123 subdomain.
	NameFn apivalidation.ValidateNameFunc
	// DefaultFn fills unset fields.
	DefaultFn func(obj runtime.Object)
	// ValidateFn checks the body of a new or updated object.
	ValidateFn func(obj runtime.Object) field.ErrorList
	// ValidateUpdateFn checks what may not change (immutable fields).
	ValidateUpdateFn func(obj, old runtime.Object) field.ErrorList
	// GenerationFn, for kinds that carry metadata.generation, returns what
	// bumps it when it changes; nil means the kind has no generation.
	GenerationFn func(obj runtime.Object) any
}

// Default runs DefaultFn.
func (s Simple) Default(obj runtime.Object) {
	if s.DefaultFn != nil {
		s.DefaultFn(obj)
	}
}

// PrepareForCreate does nothing: these kinds have no server-owned state.
func (Simple) PrepareForCreate(runtime.Object) {}

// PrepareForUpdate bumps the generation when what GenerationFn returns
// changed; without GenerationFn it does nothing.
func (s Simple) PrepareForUpdate(obj, old runtime.Object) {
	if s.GenerationFn != nil {
		BumpGeneration(obj, old, s.GenerationFn)
	}
}

// Generational reports whether the kind carries metadata.generation.
func (s Simple) Generational() bool { return s.GenerationFn != nil }

// Generational is implemented by strategies that say whether their kind
// carries metadata.generation. Kubernetes sets it only on kinds with a
// spec it counts (a ConfigMap or a Service has none); a strategy without
// the method is taken to count.
type Generational interface {
	Generational() bool
}

// Validate checks metadata and body.
func (s Simple) Validate(obj runtime.Object) field.ErrorList {
	errs := ValidateMeta(obj, s.Namespaced, s.NameFn)
	if s.ValidateFn != nil {
		errs = append(errs, s.ValidateFn(obj)...)
	}
	return errs
}

// ValidateUpdate checks metadata, body and immutable fields.
func (s Simple) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	errs := ValidateMetaUpdate(obj, old)
	if s.ValidateFn != nil {
		errs = append(errs, s.ValidateFn(obj)...)
	}
	if s.ValidateUpdateFn != nil {
		errs = append(errs, s.ValidateUpdateFn(obj, old)...)
	}
	return errs
}
