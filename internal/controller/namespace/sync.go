package namespace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
)

// Condition reasons and messages, as Kubernetes writes them.
const (
	reasonDiscoveryFailed  = "DiscoveryFailed"
	reasonDiscovered       = "ResourcesDiscovered"
	reasonContentFailed    = "ContentDeletionFailed"
	reasonContentDeleted   = "ContentDeleted"
	reasonResourcesRemain  = "SomeResourcesRemain"
	reasonContentRemoved   = "ContentRemoved"
	reasonFinalizersRemain = "SomeFinalizersRemain"
	reasonNoFinalizers     = "ContentHasNoFinalizers"
	msgDiscovered          = "All resources successfully discovered"
	msgContentDeleted      = "All content successfully deleted, may be waiting on finalization"
	msgContentRemoved      = "All content successfully removed"
	msgNoFinalizers        = "All content-preserving finalizers finished"
)

// progress is what one pass over a namespace found.
type progress struct {
	discoveryErr error
	deleteErrs   []error
	// remaining counts objects left per resource; finalizers counts
	// objects left per finalizer they hold.
	remaining  map[string]int
	finalizers map[string]int
}

func (c *Controller) sync(ctx context.Context, name string) error {
	ns, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || ns.DeletionTimestamp == nil {
		return err
	}
	if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return nil
	}
	p := c.deleteContent(ctx, name)
	if err := c.writeConditions(ctx, ns, p); err != nil {
		return err
	}
	if p.discoveryErr != nil || len(p.deleteErrs) > 0 {
		return errors.Join(append(p.deleteErrs, p.discoveryErr)...)
	}
	if len(p.remaining) > 0 {
		c.queue.AddAfter(name, c.Recheck)
		return nil
	}
	return c.finalize(ctx, name)
}

// deleteContent deletes every namespaced object in ns and counts what is
// left.
func (c *Controller) deleteContent(ctx context.Context, ns string) progress {
	p := progress{remaining: map[string]int{}, finalizers: map[string]int{}}
	lists, err := c.client.Discovery().ServerPreferredNamespacedResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		p.discoveryErr = err
		return p
	}
	p.discoveryErr = err
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			verbs := sets.New(r.Verbs...)
			if strings.Contains(r.Name, "/") || !verbs.HasAll("list", "delete") {
				continue
			}
			c.deleteResource(ctx, gv.WithResource(r.Name), ns, verbs.Has("deletecollection"), &p)
		}
	}
	return p
}

func (c *Controller) deleteResource(ctx context.Context, gvr schema.GroupVersionResource, ns string, collection bool, p *progress) {
	client := c.dynamic.Resource(gvr).Namespace(ns)
	list, err := client.List(ctx, metav1.ListOptions{})
	if err != nil {
		if !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
			p.deleteErrs = append(p.deleteErrs, fmt.Errorf("list %s: %w", gvr.GroupResource(), err))
		}
		return
	}
	if len(list.Items) == 0 {
		return
	}
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg}
	if collection {
		err = client.DeleteCollection(ctx, opts, metav1.ListOptions{})
	}
	if !collection || apierrors.IsMethodNotSupported(err) {
		err = nil
		for _, item := range list.Items {
			if item.GetDeletionTimestamp() != nil {
				continue
			}
			if derr := client.Delete(ctx, item.GetName(), opts); derr != nil && !apierrors.IsNotFound(derr) {
				err = derr
			}
		}
	}
	if err != nil {
		p.deleteErrs = append(p.deleteErrs, fmt.Errorf("delete %s: %w", gvr.GroupResource(), err))
	}
	left, err := client.List(ctx, metav1.ListOptions{})
	if err != nil {
		p.deleteErrs = append(p.deleteErrs, fmt.Errorf("list %s: %w", gvr.GroupResource(), err))
		return
	}
	if n := len(left.Items); n > 0 {
		p.remaining[gvr.GroupResource().String()] += n
		for _, item := range left.Items {
			for _, f := range item.GetFinalizers() {
				p.finalizers[f]++
			}
		}
	}
}

func (c *Controller) finalize(ctx context.Context, name string) error {
	ns, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var keep []corev1.FinalizerName
	for _, f := range ns.Spec.Finalizers {
		if f != corev1.FinalizerKubernetes {
			keep = append(keep, f)
		}
	}
	ns.Spec.Finalizers = keep
	_, err = c.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// conditions turns one pass into the Namespace's deletion conditions.
func conditions(p progress, now metav1.Time) []corev1.NamespaceCondition {
	cond := func(t corev1.NamespaceConditionType, bad bool, badReason, badMsg, okReason, okMsg string) corev1.NamespaceCondition {
		if bad {
			return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionTrue, Reason: badReason, Message: badMsg, LastTransitionTime: now}
		}
		return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionFalse, Reason: okReason, Message: okMsg, LastTransitionTime: now}
	}
	discoveryMsg := ""
	if p.discoveryErr != nil {
		discoveryMsg = "Discovery failed for some groups: " + p.discoveryErr.Error()
	}
	var errMsgs []string
	for _, e := range p.deleteErrs {
		errMsgs = append(errMsgs, e.Error())
	}
	return []corev1.NamespaceCondition{
		cond(corev1.NamespaceDeletionDiscoveryFailure, p.discoveryErr != nil, reasonDiscoveryFailed, discoveryMsg, reasonDiscovered, msgDiscovered),
		cond(corev1.NamespaceDeletionContentFailure, len(p.deleteErrs) > 0, reasonContentFailed,
			"Failed to delete all resource types, "+fmt.Sprint(len(p.deleteErrs))+" remaining: "+strings.Join(errMsgs, ", "), reasonContentDeleted, msgContentDeleted),
		cond(corev1.NamespaceContentRemaining, len(p.remaining) > 0, reasonResourcesRemain,
			"Some resources are remaining: "+summary(p.remaining, "resource instances"), reasonContentRemoved, msgContentRemoved),
		cond(corev1.NamespaceFinalizersRemaining, len(p.finalizers) > 0, reasonFinalizersRemain,
			"Some content in the namespace has finalizers remaining: "+summary(p.finalizers, "resource instances"), reasonNoFinalizers, msgNoFinalizers),
	}
}

// summary renders counts as Kubernetes does: "pods. has 2 resource
// instances, secrets. has 1 resource instances".
func summary(counts map[string]int, what string) string {
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s has %d %s", k, n, what))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// writeConditions stores the conditions, keeping transition times of
// unchanged ones; nothing is written when nothing changed.
func (c *Controller) writeConditions(ctx context.Context, ns *corev1.Namespace, p progress) error {
	next := ns.DeepCopy()
	next.Status.Conditions = nil
	for _, cnd := range conditions(p, metav1.NewTime(c.Now())) {
		for _, old := range ns.Status.Conditions {
			if old.Type == cnd.Type && old.Status == cnd.Status && old.Reason == cnd.Reason && old.Message == cnd.Message {
				cnd.LastTransitionTime = old.LastTransitionTime
			}
		}
		next.Status.Conditions = append(next.Status.Conditions, cnd)
	}
	if apiequality.Semantic.DeepEqual(next.Status, ns.Status) {
		return nil
	}
	_, err := c.client.CoreV1().Namespaces().UpdateStatus(ctx, next, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
