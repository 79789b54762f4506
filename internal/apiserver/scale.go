package apiserver

import (
	"fmt"
	"net/http"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

var (
	scaleGVK     = autoscalingv1.SchemeGroupVersion.WithKind("Scale")
	replicasPath = fieldpath.MakePathOrDie("spec", "replicas")
)

// replicasOf returns the spec and status replicas and the selector of a
// scalable object.
func replicasOf(obj runtime.Object) (spec *int32, status int32, selector string, err error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return o.Spec.Replicas, o.Status.Replicas, selectorString(o.Spec.Selector), nil
	case *appsv1.ReplicaSet:
		return o.Spec.Replicas, o.Status.Replicas, selectorString(o.Spec.Selector), nil
	case *appsv1.StatefulSet:
		return o.Spec.Replicas, o.Status.Replicas, selectorString(o.Spec.Selector), nil
	case *corev1.ReplicationController:
		return o.Spec.Replicas, o.Status.Replicas, labels.SelectorFromSet(o.Spec.Selector).String(), nil
	}
	return nil, 0, "", fmt.Errorf("%T has no scale subresource", obj)
}

func selectorString(s *metav1.LabelSelector) string {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return ""
	}
	return sel.String()
}

func scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	spec, status, sel, err := replicasOf(obj)
	if err != nil {
		return nil, err
	}
	m := objectMetaOf(mustAccessor(obj))
	s := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion, CreationTimestamp: m.CreationTimestamp},
		Status:     autoscalingv1.ScaleStatus{Replicas: status, Selector: sel},
	}
	if spec != nil {
		s.Spec.Replicas = *spec
	}
	s.SetGroupVersionKind(scaleGVK)
	return s, nil
}

// serveScale serves GET, PUT and PATCH of the scale subresource; writes
// touch only spec.replicas.
func (h *resourceHandler) serveScale(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	if ri.Verb == "get" {
		obj, err := h.store.Get(r.Context(), h.namespace(ri), ri.Name, "")
		if err != nil {
			return err
		}
		return writeScale(w, out, http.StatusOK, obj)
	}
	newScale, err := h.scaleInput(w, r, ri)
	if err != nil {
		return err
	}
	dry, err := dryRun(r)
	if err != nil {
		return err
	}
	obj, _, err := h.store.Update(r.Context(), h.namespace(ri), ri.Name, "", func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(h.store.GroupResource(), ri.Name)
		}
		return setReplicas(h, cur, newScale)
	}, dry)
	if err != nil {
		return err
	}
	return writeScale(w, out, http.StatusOK, obj)
}

// scaleInput returns a function giving the desired Scale for the current one.
func (h *resourceHandler) scaleInput(w http.ResponseWriter, r *http.Request, ri *requestInfo) (func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error), error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if ri.Verb == "update" {
		manager, err := requestManager(r, "UpdateOptions")
		if err != nil {
			return nil, err
		}
		s := &autoscalingv1.Scale{}
		if err := decodeBody(w, r, body, s, scaleGVK); err != nil {
			return nil, err
		}
		return func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
			return h.trackScale(cur, s.DeepCopy(), manager)
		}, nil
	}
	pt, err := patchType(r)
	if err != nil {
		return nil, err
	}
	manager, force, err := patchOptions(r, pt)
	if err != nil {
		return nil, err
	}
	if pt == types.ApplyYAMLPatchType {
		return h.applyScale(body, manager, force)
	}
	return func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
		patched, err := applyPatch(pt, cur, body)
		if err != nil {
			return nil, err
		}
		s := &autoscalingv1.Scale{}
		if err := decodeAs(w, mediaJSON, validationIgnore, patched, s, scaleGVK); err != nil {
			return nil, err
		}
		return h.trackScale(cur, s, manager)
	}, nil
}

func (h *resourceHandler) trackScale(cur, s *autoscalingv1.Scale, manager string) (*autoscalingv1.Scale, error) {
	obj, err := h.fields.update("scale", cur, s, manager)
	if err != nil {
		return nil, err
	}
	return obj.(*autoscalingv1.Scale), nil
}

// applyScale returns the desired Scale of a server-side apply to scale.
func (h *resourceHandler) applyScale(body []byte, manager string, force bool) (func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error), error) {
	patch, err := decodeApply(body)
	if err != nil {
		return nil, err
	}
	fm, err := h.fields.get("scale")
	if err != nil {
		return nil, err
	}
	return func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
		obj, err := fm.Apply(cur, patch.DeepCopy(), manager, force)
		if err != nil {
			return nil, err
		}
		return obj.(*autoscalingv1.Scale), nil
	}, nil
}

func setReplicas(h *resourceHandler, cur runtime.Object, desired func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error)) (runtime.Object, error) {
	curScale, err := scaleOf(cur)
	if err != nil {
		return nil, err
	}
	s, entries, err := h.desiredScale(cur, curScale, replicasPath, desired)
	if err != nil {
		return nil, err
	}
	next := cur.DeepCopyObject()
	spec, _, _, _ := replicasOf(next)
	if spec == nil {
		return nil, fmt.Errorf("%T has no spec.replicas", next)
	}
	*spec = s.Spec.Replicas
	mustAccessor(next).SetResourceVersion("")
	mustAccessor(next).SetManagedFields(entries)
	return next, nil
}

// desiredScale returns the Scale desired gives for cur's, checked, and
// cur's managed fields after the write. Scale writers own the parent's
// replicas field (at replicas): its managed fields are shown to the scale
// FieldManager as ownership of the Scale's spec.replicas, and the result
// is mapped back.
func (h *resourceHandler) desiredScale(cur runtime.Object, curScale *autoscalingv1.Scale, replicas fieldpath.Path, desired func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error)) (*autoscalingv1.Scale, []metav1.ManagedFieldsEntry, error) {
	gv := h.store.Resource.GroupVersion()
	fields := managedfields.NewScaleHandler(mustAccessor(cur).GetManagedFields(), gv, managedfields.ResourcePathMappings{gv.String(): replicas})
	var err error
	if curScale.ManagedFields, err = fields.ToSubresource(); err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	s, err := desired(curScale)
	if err != nil {
		return nil, nil, err
	}
	entries, err := fields.ToParent(s.ManagedFields)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	if s.ResourceVersion != "" && s.ResourceVersion != curScale.ResourceVersion {
		return nil, nil, h.store.Conflict(curScale.Name)
	}
	if s.Spec.Replicas < 0 {
		return nil, nil, apierrors.NewInvalid(scaleGVK.GroupKind(), curScale.Name, field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), s.Spec.Replicas, "must be greater than or equal to 0")})
	}
	return s, entries, nil
}

func writeScale(w http.ResponseWriter, out output, code int, obj runtime.Object) error {
	s, err := scaleOf(obj)
	if err != nil {
		return err
	}
	writeObject(w, out, code, s)
	return nil
}
