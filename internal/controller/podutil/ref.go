package podutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// NewControllerRef returns an ownerReference naming owner as the
// controller, blocking the owner's foreground deletion.
func NewControllerRef(owner metav1.Object, gvk schema.GroupVersionKind) *metav1.OwnerReference {
	yes := true
	return &metav1.OwnerReference{
		APIVersion:         gvk.GroupVersion().String(),
		Kind:               gvk.Kind,
		Name:               owner.GetName(),
		UID:                owner.GetUID(),
		Controller:         &yes,
		BlockOwnerDeletion: &yes,
	}
}

// GetControllerOf returns the ownerReference of obj that is its
// controller, or nil.
func GetControllerOf(obj metav1.Object) *metav1.OwnerReference {
	return metav1.GetControllerOfNoCopy(obj)
}

// PodFromTemplate builds a pod of parent from template: labels,
// annotations, finalizers and spec copied, named <parent>- plus a suffix
// the API server generates, and controlled by ref.
func PodFromTemplate(template *corev1.PodTemplateSpec, parent metav1.Object, ref *metav1.OwnerReference) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: parent.GetName() + "-",
			Namespace:    parent.GetNamespace(),
			Labels:       maps.Clone(template.Labels),
			Annotations:  maps.Clone(template.Annotations),
			Finalizers:   append([]string(nil), template.Finalizers...),
		},
		Spec: *template.Spec.DeepCopy(),
	}
	if ref != nil {
		pod.OwnerReferences = []metav1.OwnerReference{*ref}
	}
	return pod
}

// Patcher applies a strategic merge patch to one object of the kind a
// controller claims.
type Patcher func(ctx context.Context, namespace, name string, patch []byte) error

// RefManager adopts and releases objects of one controller, as
// Kubernetes' ControllerRefManager: an object the selector matches with
// no controller is adopted; one it owns that no longer matches is
// released; objects of other controllers are left alone.
type RefManager struct {
	Owner    metav1.Object
	OwnerGVK schema.GroupVersionKind
	Selector labels.Selector
	// CanAdopt is asked once, before the first adoption; it should read
	// the owner from the API server and fail if it is being deleted or
	// was replaced (a different UID).
	CanAdopt func(ctx context.Context) error
	Patch    Patcher

	adoptErr error
	asked    bool
}

// Claim returns the objects the owner controls after adopting and
// releasing; errors of single objects are joined, the others still
// claimed.
func Claim[T metav1.Object](ctx context.Context, m *RefManager, objs []T) ([]T, error) {
	var out []T
	var errs []error
	for _, o := range objs {
		ok, err := m.claimOne(ctx, o)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			out = append(out, o)
		}
	}
	return out, errors.Join(errs...)
}

func (m *RefManager) claimOne(ctx context.Context, o metav1.Object) (bool, error) {
	matches := m.Selector.Matches(labels.Set(o.GetLabels()))
	if ref := GetControllerOf(o); ref != nil {
		if ref.UID != m.Owner.GetUID() {
			return false, nil
		}
		if matches {
			return true, nil
		}
		if m.Owner.GetDeletionTimestamp() != nil || o.GetDeletionTimestamp() != nil {
			return false, nil
		}
		return false, m.release(ctx, o)
	}
	if !matches || m.Owner.GetDeletionTimestamp() != nil || o.GetDeletionTimestamp() != nil ||
		o.GetNamespace() != m.Owner.GetNamespace() {
		return false, nil
	}
	if err := m.adopt(ctx, o); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func (m *RefManager) adopt(ctx context.Context, o metav1.Object) error {
	if !m.asked {
		m.asked = true
		if m.CanAdopt != nil {
			m.adoptErr = m.CanAdopt(ctx)
		}
	}
	if m.adoptErr != nil {
		return fmt.Errorf("adopt %s/%s: %w", o.GetNamespace(), o.GetName(), m.adoptErr)
	}
	patch, err := AdoptPatch(NewControllerRef(m.Owner, m.OwnerGVK), o.GetUID())
	if err != nil {
		return err
	}
	return m.Patch(ctx, o.GetNamespace(), o.GetName(), patch)
}

func (m *RefManager) release(ctx context.Context, o metav1.Object) error {
	patch, err := ReleasePatch(m.Owner.GetUID(), o.GetUID())
	if err != nil {
		return err
	}
	err = m.Patch(ctx, o.GetNamespace(), o.GetName(), patch)
	if apierrors.IsNotFound(err) || apierrors.IsInvalid(err) {
		// Gone, or its ownerReferences changed under us: nothing to release.
		return nil
	}
	if err != nil {
		return fmt.Errorf("release %s/%s: %w", o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

type refPatch struct {
	Metadata struct {
		OwnerReferences []any     `json:"ownerReferences"`
		UID             types.UID `json:"uid"`
	} `json:"metadata"`
}

// AdoptPatch is a strategic merge patch adding ref to the object with
// uid; the uid makes it fail on a replaced object.
func AdoptPatch(ref *metav1.OwnerReference, uid types.UID) ([]byte, error) {
	var p refPatch
	p.Metadata.OwnerReferences = []any{ref}
	p.Metadata.UID = uid
	return json.Marshal(p)
}

// ReleasePatch is a strategic merge patch removing the ownerReference to
// owner from the object with uid.
func ReleasePatch(owner, uid types.UID) ([]byte, error) {
	var p refPatch
	p.Metadata.OwnerReferences = []any{map[string]any{"$patch": "delete", "uid": owner}}
	p.Metadata.UID = uid
	return json.Marshal(p)
}
