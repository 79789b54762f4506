package replicaset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// Event reasons, as Kubernetes writes them.
const (
	ReasonSuccessfulCreate = "SuccessfulCreate"
	ReasonSuccessfulDelete = "SuccessfulDelete"
	ReasonFailedCreate     = "FailedCreate"
	ReasonFailedDelete     = "FailedDelete"
)

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	o, err := c.kind.Get(ns, name)
	if apierrors.IsNotFound(err) {
		c.exp.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
	if err != nil || sel.Empty() {
		// Validation forbids this; nothing sensible to do.
		return nil
	}
	satisfied := c.exp.Satisfied(key)
	all, err := c.podLister.Pods(ns).List(labels.Everything())
	if err != nil {
		return err
	}
	pods, claimErr := c.claimPods(ctx, o, sel, podutil.FilterActivePods(all))
	var manageErr error
	if satisfied && o.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(ctx, o, pods)
	}
	st := calculateStatus(o, pods, manageErr, c.Now())
	o, err = c.updateStatus(ctx, o, st)
	if err != nil {
		return errors.Join(manageErr, claimErr, err)
	}
	if manageErr == nil {
		if d := nextAvailable(o, pods, c.Now()); d > 0 {
			c.queue.AddAfter(key, d)
		}
	}
	return errors.Join(manageErr, claimErr)
}

func (c *Controller) claimPods(ctx context.Context, o Object, sel labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	m := &podutil.RefManager{
		Owner: o, OwnerGVK: c.kind.GVK, Selector: sel,
		CanAdopt: func(ctx context.Context) error {
			fresh, err := c.kind.GetLive(ctx, o.Namespace, o.Name)
			if err != nil {
				return err
			}
			if fresh.UID != o.UID {
				return fmt.Errorf("original %s %s is gone: got uid %s, wanted %s", c.kind.GVK.Kind, keyOf(o), fresh.UID, o.UID)
			}
			if fresh.DeletionTimestamp != nil {
				return fmt.Errorf("%s %s has just been deleted", c.kind.GVK.Kind, keyOf(o))
			}
			return nil
		},
		Patch: func(ctx context.Context, ns, name string, patch []byte) error {
			_, err := c.client.CoreV1().Pods(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
	}
	return podutil.Claim(ctx, m, pods)
}

// manageReplicas creates or deletes pods so that len(pods) moves towards
// spec.replicas, at most BurstReplicas at a time.
func (c *Controller) manageReplicas(ctx context.Context, o Object, pods []*corev1.Pod) error {
	key := keyOf(o)
	diff := len(pods) - int(replicas(o))
	switch {
	case diff < 0:
		n := min(-diff, c.BurstReplicas)
		c.exp.Expect(key, n, nil)
		done, err := slowStartBatch(n, 1, func() error { return c.createPod(ctx, o) })
		for range n - done {
			// Skipped or failed: no informer event will come for them.
			c.exp.CreationObserved(key)
		}
		return err
	case diff > 0:
		victims := podsToDelete(pods, min(diff, c.BurstReplicas))
		uids := make([]types.UID, len(victims))
		for i, p := range victims {
			uids[i] = p.UID
		}
		c.exp.Expect(key, 0, uids)
		return c.deletePods(ctx, o, victims)
	}
	return nil
}

func (c *Controller) createPod(ctx context.Context, o Object) error {
	ref := podutil.NewControllerRef(o, c.kind.GVK)
	pod := podutil.PodFromTemplate(o.Spec.Template.DeepCopy(), o, ref)
	created, err := c.client.CoreV1().Pods(o.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			// The namespace is going away; nothing to create into.
			return nil
		}
		c.event(o, corev1.EventTypeWarning, ReasonFailedCreate, "Error creating: %v", err)
		return err
	}
	c.metrics.created.Inc()
	c.event(o, corev1.EventTypeNormal, ReasonSuccessfulCreate, "Created pod: %s", created.Name)
	return nil
}

func (c *Controller) deletePods(ctx context.Context, o Object, victims []*corev1.Pod) error {
	key := keyOf(o)
	errs := make([]error, len(victims))
	var wg sync.WaitGroup
	for i, p := range victims {
		wg.Go(func() {
			err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
			if err != nil {
				c.exp.DeletionObserved(key, p.UID)
				if apierrors.IsNotFound(err) {
					return
				}
				c.event(o, corev1.EventTypeWarning, ReasonFailedDelete, "Error deleting: %v", err)
				errs[i] = err
				return
			}
			c.metrics.deleted.Inc()
			c.event(o, corev1.EventTypeNormal, ReasonSuccessfulDelete, "Deleted pod: %s", p.Name)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// podsToDelete picks the n pods to delete first, in ActivePods order.
func podsToDelete(pods []*corev1.Pod, n int) []*corev1.Pod {
	sorted := append([]*corev1.Pod(nil), pods...)
	sort.Sort(podutil.ActivePods(sorted))
	return sorted[:n]
}

// slowStartBatch calls fn count times in batches of 1, 2, 4, … run in
// parallel, stopping after the first batch with an error, so that a
// failing create does not repeat hundreds of times. It returns how many
// calls succeeded.
func slowStartBatch(count, initial int, fn func() error) (int, error) {
	done := 0
	for batch := min(count, initial); batch > 0; batch = min(2*batch, count-done) {
		errs := make([]error, batch)
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { errs[i] = fn() })
		}
		wg.Wait()
		for _, err := range errs {
			if err == nil {
				done++
			}
		}
		if err := errors.Join(errs...); err != nil {
			return done, err
		}
	}
	return done, nil
}

func replicas(o Object) int32 {
	if o.Spec.Replicas == nil {
		return 1
	}
	return *o.Spec.Replicas
}
