package apiserver

import (
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

func mustAccessor(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("%T has no metadata", obj)) // only called on API types
	}
	return m
}

func successStatus(code int) *metav1.Status {
	return &metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}, Status: metav1.StatusSuccess, Code: int32(code)}
}

// serveBinding assigns a pod to a node, as the scheduler does through
// pods/binding or v1 bindings: it sets spec.nodeName once and
// PodScheduled=True.
func (h *resourceHandler) serveBinding(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	b := &corev1.Binding{}
	if err := decodeBody(w, r, body, b, corev1.SchemeGroupVersion.WithKind("Binding")); err != nil {
		return err
	}
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), b.Name, field.ErrorList{field.NotSupported(field.NewPath("target", "kind"), b.Target.Kind, []string{"Node", "<empty>"})})
	}
	if b.Target.Name == "" {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), b.Name, field.ErrorList{field.Required(field.NewPath("target", "name"), "")})
	}
	dry, err := dryRun(r)
	if err != nil {
		return err
	}
	// POST .../bindings names the pod in the body; pods/NAME/binding in the URL.
	name := ri.Name
	if name == "" {
		name = b.Name
	}
	_, _, err = h.store.Update(r.Context(), ri.Namespace, name, "binding", func(cur runtime.Object) (runtime.Object, error) {
		return bindPod(cur, b)
	}, dry)
	if err != nil {
		return err
	}
	writeObject(w, out, http.StatusCreated, successStatus(http.StatusCreated))
	return nil
}

func bindPod(cur runtime.Object, b *corev1.Binding) (runtime.Object, error) {
	pod, ok := cur.(*corev1.Pod)
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("pods"), b.Name)
	}
	if b.UID != "" && b.UID != pod.UID {
		return nil, apierrors.NewConflict(corev1.Resource("pods/binding"), pod.Name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", b.UID, pod.UID))
	}
	if pod.DeletionTimestamp != nil {
		return nil, apierrors.NewConflict(corev1.Resource("pods/binding"), pod.Name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", pod.Name))
	}
	if pod.Spec.NodeName != "" {
		return nil, apierrors.NewConflict(corev1.Resource("pods/binding"), pod.Name, fmt.Errorf("pod %s is already assigned to node %q", pod.Name, pod.Spec.NodeName))
	}
	next := pod.DeepCopy()
	next.Spec.NodeName = b.Target.Name
	for k, v := range b.Annotations {
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		next.Annotations[k] = v
	}
	setPodScheduled(next)
	next.ResourceVersion = ""
	return next, nil
}

func setPodScheduled(pod *corev1.Pod) {
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}
	for i, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			pod.Status.Conditions[i] = cond
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, cond)
}

// serveEviction deletes a pod unless a PodDisruptionBudget forbids it.
func (s *Server) serveEviction(w http.ResponseWriter, r *http.Request, h *resourceHandler, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ev := &policyv1.Eviction{}
	if err := decodeBody(w, r, body, ev, policyv1.SchemeGroupVersion.WithKind("Eviction")); err != nil {
		return err
	}
	if ev.Name != "" && ev.Name != ri.Name {
		return apierrors.NewBadRequest(fmt.Sprintf("name in URL does not match name in Eviction object"))
	}
	obj, err := h.store.Get(r.Context(), ri.Namespace, ri.Name, "")
	if err != nil {
		return err
	}
	pod := obj.(*corev1.Pod)
	if err := s.checkDisruptionBudgets(r, pod); err != nil {
		return err
	}
	opts := ev.DeleteOptions
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	if _, _, err := h.store.Delete(r.Context(), ri.Namespace, ri.Name, opts, len(opts.DryRun) > 0); err != nil {
		return err
	}
	writeObject(w, out, http.StatusCreated, successStatus(http.StatusCreated))
	return nil
}

// checkDisruptionBudgets refuses an eviction of a running pod that a
// budget without allowed disruptions covers.
func (s *Server) checkDisruptionBudgets(r *http.Request, pod *corev1.Pod) error {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || pod.DeletionTimestamp != nil {
		return nil
	}
	pdbs := s.store(policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets"))
	list, err := pdbs.List(r.Context(), pod.Namespace, generic.ListOptions{ResourceVersion: "0", Label: labels.Everything()})
	if err != nil {
		return err
	}
	for _, pdb := range list.(*policyv1.PodDisruptionBudgetList).Items {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		if pdb.Status.DisruptionsAllowed <= 0 {
			err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
			err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy)})
			return err
		}
	}
	return nil
}
