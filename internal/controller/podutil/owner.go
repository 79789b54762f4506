package podutil

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// IsKind reports whether ref names an object of kind gvk (its Kind and
// APIVersion both match).
func IsKind(ref *metav1.OwnerReference, gvk schema.GroupVersionKind) bool {
	return ref != nil && ref.Kind == gvk.Kind && ref.APIVersion == gvk.GroupVersion().String()
}

// ControllerKey returns the namespace/name key of obj's controller when
// that controller is of kind gvk; it does not check that it exists.
func ControllerKey(obj metav1.Object, gvk schema.GroupVersionKind) (string, bool) {
	ref := GetControllerOf(obj)
	if !IsKind(ref, gvk) {
		return "", false
	}
	return obj.GetNamespace() + "/" + ref.Name, true
}

// IsControlledBy reports whether obj's controller is the object with uid.
func IsControlledBy(obj metav1.Object, uid types.UID) bool {
	ref := GetControllerOf(obj)
	return ref != nil && ref.UID == uid
}

// ControlledBy keeps the objects whose controller is the object with uid.
func ControlledBy[T metav1.Object](objs []T, uid types.UID) []T {
	var out []T
	for _, o := range objs {
		if IsControlledBy(o, uid) {
			out = append(out, o)
		}
	}
	return out
}
