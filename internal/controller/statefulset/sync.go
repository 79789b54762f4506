package statefulset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/controller/history"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// round is one sync of one StatefulSet.
type round struct {
	key       string
	set       *appsv1.StatefulSet
	current   *appsv1.ControllerRevision
	update    *appsv1.ControllerRevision
	curTmpl   *corev1.PodTemplateSpec
	replicas  []*corev1.Pod // by ordinal - start; nil where missing
	condemned []*corev1.Pod // ordinals beyond replicas, highest first
	now       time.Time
	// wait is the shortest time until a ready pod becomes available.
	wait time.Duration
}

func (c *Controller) sync(ctx context.Context, key string) error {
	set, found, err := worker.Get(key, func(ns, name string) (*appsv1.StatefulSet, error) {
		return c.setLister.StatefulSets(ns).Get(name)
	})
	if err != nil || !found {
		return err
	}
	set = set.DeepCopy()
	sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil {
		return fmt.Errorf("statefulset %s selector: %w", key, err)
	}
	owner := history.NewOwner(set, setKind, sel, set.Status.CollisionCount)
	r := &round{key: key, set: set, now: c.Clock.Now()}
	revs, err := c.revisions(ctx, r, owner)
	if errors.Is(err, history.ErrCollision) {
		set.Status.CollisionCount = owner.CollisionCount
		return errors.Join(err, c.writeStatus(ctx, set))
	}
	if err != nil {
		return err
	}
	if err := c.collectPods(r, sel); err != nil {
		return err
	}
	var actErr error
	if set.DeletionTimestamp == nil {
		actErr = c.act(ctx, r)
	}
	if r.wait > 0 {
		c.queue.AddAfter(key, r.wait)
	}
	if err := c.updateStatus(ctx, r); err != nil {
		return errors.Join(actErr, err)
	}
	return errors.Join(actErr, c.truncate(ctx, r, revs))
}

// revisions finds the current and update revisions, creating the latter.
func (c *Controller) revisions(ctx context.Context, r *round, o history.Owner) ([]*appsv1.ControllerRevision, error) {
	revs, update, err := history.Sync(ctx, c.client, c.revLister, o, &r.set.Spec.Template)
	if err != nil {
		return nil, err
	}
	r.update = update
	r.current = r.update
	for _, rev := range revs {
		if rev.Name == r.set.Status.CurrentRevision {
			r.current = rev
		}
	}
	if r.curTmpl, err = history.Template(r.current); err != nil {
		return nil, err
	}
	return revs, nil
}

// collectPods sorts the set's pods into replicas and condemned.
func (c *Controller) collectPods(r *round, sel labels.Selector) error {
	all, err := c.podLister.Pods(r.set.Namespace).List(sel)
	if err != nil {
		return err
	}
	start, n := startOrdinal(r.set), 1
	if r.set.Spec.Replicas != nil {
		n = int(*r.set.Spec.Replicas)
	}
	r.replicas = make([]*corev1.Pod, n)
	for _, p := range all {
		ord, ok := ordinal(r.set, p)
		if !podutil.IsControlledBy(p, r.set.UID) || !ok {
			continue
		}
		if ord >= start && ord < start+n {
			r.replicas[ord-start] = p
		} else {
			r.condemned = append(r.condemned, p)
		}
	}
	sort.Slice(r.condemned, func(i, j int) bool {
		a, _ := ordinal(r.set, r.condemned[i])
		b, _ := ordinal(r.set, r.condemned[j])
		return a > b
	})
	return nil
}

// act creates, replaces and deletes pods as the pod management policy and
// update strategy allow, stopping where OrderedReady must wait.
func (c *Controller) act(ctx context.Context, r *round) error {
	ordered := r.set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	for i, pod := range r.replicas {
		ord := startOrdinal(r.set) + i
		if pod != nil && finished(pod) && !terminating(pod) {
			c.recorder.Eventf(r.set, corev1.EventTypeWarning, "RecreatingFailedPod",
				"StatefulSet %s/%s is recreating failed Pod %s", r.set.Namespace, r.set.Name, pod.Name)
			if err := c.deletePod(ctx, r, pod); err != nil {
				return err
			}
			r.replicas[i] = nil
			return nil // recreated once the deletion shows
		}
		if pod == nil {
			created, err := c.createPod(ctx, r, ord)
			if err != nil {
				return err
			}
			r.replicas[i] = created
			if ordered {
				return nil
			}
			continue
		}
		if ordered && !c.healthy(r, pod) {
			return nil
		}
	}
	for _, pod := range r.condemned {
		if terminating(pod) {
			if ordered {
				return nil
			}
			continue
		}
		if ordered && !c.healthy(r, pod) && pod != c.firstUnhealthy(r) {
			return nil
		}
		if err := c.deletePod(ctx, r, pod); err != nil {
			return err
		}
		if ordered {
			return nil
		}
	}
	if r.set.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return nil
	}
	return c.rollingUpdate(ctx, r)
}

// rollingUpdate deletes the highest-ordinal pod at or above the partition
// that is not at the update revision, once all above it are healthy.
func (c *Controller) rollingUpdate(ctx context.Context, r *round) error {
	partition := 0
	if ru := r.set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		partition = int(*ru.Partition)
	}
	for i := len(r.replicas) - 1; i >= partition; i-- {
		pod := r.replicas[i]
		if pod == nil {
			return nil
		}
		if revision(pod) != r.update.Name && !terminating(pod) {
			c.log.Info("updating pod", "statefulset", r.key, "pod", pod.Name, "revision", r.update.Name)
			return c.deletePod(ctx, r, pod)
		}
		if !c.healthy(r, pod) {
			return nil
		}
	}
	return nil
}

// healthy reports whether pod is running, ready for minReadySeconds and
// not terminating; it notes when a ready pod will become available.
func (c *Controller) healthy(r *round, pod *corev1.Pod) bool {
	if terminating(pod) || !runningAndReady(pod) {
		return false
	}
	if d := podutil.AvailableIn(pod, r.set.Spec.MinReadySeconds, r.now); d > 0 {
		if r.wait == 0 || d < r.wait {
			r.wait = d
		}
		return false
	}
	return true
}

// firstUnhealthy returns the unhealthy pod with the lowest ordinal.
func (c *Controller) firstUnhealthy(r *round) *corev1.Pod {
	for _, p := range r.replicas {
		if p != nil && !c.healthy(r, p) {
			return p
		}
	}
	for i := len(r.condemned) - 1; i >= 0; i-- {
		if !c.healthy(r, r.condemned[i]) {
			return r.condemned[i]
		}
	}
	return nil
}

// createPod creates the claims and then pod ord, at the current revision
// below the partition and the update revision otherwise.
func (c *Controller) createPod(ctx context.Context, r *round, ord int) (*corev1.Pod, error) {
	tmpl, rev := &r.set.Spec.Template, r.update.Name
	if ru := r.set.Spec.UpdateStrategy.RollingUpdate; r.set.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
		ru != nil && ru.Partition != nil && ord < startOrdinal(r.set)+int(*ru.Partition) {
		tmpl, rev = r.curTmpl, r.current.Name
	}
	if err := c.createClaims(ctx, r, ord); err != nil {
		return nil, err
	}
	pod := newPod(r.set, tmpl, rev, ord)
	created, err := c.client.CoreV1().Pods(r.set.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// The informer lags behind an earlier create.
		return pod, nil
	}
	if err != nil {
		c.recorder.Eventf(r.set, corev1.EventTypeWarning, "FailedCreate", "create Pod %s in StatefulSet %s failed error: %v", pod.Name, r.set.Name, err)
		return nil, fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	c.metrics.podsCreated.Inc()
	c.recorder.Eventf(r.set, corev1.EventTypeNormal, "SuccessfulCreate", "create Pod %s in StatefulSet %s successful", pod.Name, r.set.Name)
	return created, nil
}

// createClaims creates the missing claims of pod ord.
func (c *Controller) createClaims(ctx context.Context, r *round, ord int) error {
	for _, cl := range claims(r.set, ord) {
		existing, err := c.pvcLister.PersistentVolumeClaims(r.set.Namespace).Get(cl.pvc.Name)
		if err == nil {
			if existing.DeletionTimestamp != nil {
				return fmt.Errorf("claim %s/%s of pod %s is being deleted", existing.Namespace, existing.Name, podName(r.set, ord))
			}
			continue
		}
		_, err = c.client.CoreV1().PersistentVolumeClaims(r.set.Namespace).Create(ctx, cl.pvc, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			c.recorder.Eventf(r.set, corev1.EventTypeWarning, "FailedCreate", "create Claim %s for Pod %s in StatefulSet %s failed error: %v", cl.pvc.Name, podName(r.set, ord), r.set.Name, err)
			return fmt.Errorf("create claim %s/%s: %w", cl.pvc.Namespace, cl.pvc.Name, err)
		}
		c.metrics.pvcsCreated.Inc()
		c.recorder.Eventf(r.set, corev1.EventTypeNormal, "SuccessfulCreate", "create Claim %s Pod %s in StatefulSet %s success", cl.pvc.Name, podName(r.set, ord), r.set.Name)
	}
	return nil
}

func (c *Controller) deletePod(ctx context.Context, r *round, pod *corev1.Pod) error {
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		c.recorder.Eventf(r.set, corev1.EventTypeWarning, "FailedDelete", "delete Pod %s in StatefulSet %s failed error: %v", pod.Name, r.set.Name, err)
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	c.metrics.podsDeleted.Inc()
	c.recorder.Eventf(r.set, corev1.EventTypeNormal, "SuccessfulDelete", "delete Pod %s in StatefulSet %s successful", pod.Name, r.set.Name)
	return nil
}

// updateStatus counts the pods and writes the status if it changed; once
// every replica is updated and ready the update revision becomes current.
func (c *Controller) updateStatus(ctx context.Context, r *round) error {
	set := r.set
	st := appsv1.StatefulSetStatus{
		ObservedGeneration: set.Generation, CurrentRevision: r.current.Name, UpdateRevision: r.update.Name,
		CollisionCount: set.Status.CollisionCount, Conditions: set.Status.Conditions,
	}
	for _, p := range append(append([]*corev1.Pod(nil), r.replicas...), r.condemned...) {
		if p == nil || terminating(p) {
			continue
		}
		st.Replicas++
		if runningAndReady(p) {
			st.ReadyReplicas++
			if podutil.IsPodAvailable(p, set.Spec.MinReadySeconds, r.now) {
				st.AvailableReplicas++
			}
		}
		if revision(p) == r.current.Name {
			st.CurrentReplicas++
		}
		if revision(p) == r.update.Name {
			st.UpdatedReplicas++
		}
	}
	if set.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
		st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas && len(r.condemned) == 0 {
		st.CurrentRevision, st.CurrentReplicas = st.UpdateRevision, st.UpdatedReplicas
	}
	if equality.Semantic.DeepEqual(st, set.Status) {
		return nil
	}
	set.Status = st
	return c.writeStatus(ctx, set)
}

func (c *Controller) writeStatus(ctx context.Context, set *appsv1.StatefulSet) error {
	if _, err := c.client.AppsV1().StatefulSets(set.Namespace).UpdateStatus(ctx, set, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update status of statefulset %s/%s: %w", set.Namespace, set.Name, err)
	}
	return nil
}

// truncate deletes revisions beyond revisionHistoryLimit that neither
// the status nor any pod uses.
func (c *Controller) truncate(ctx context.Context, r *round, revs []*appsv1.ControllerRevision) error {
	live := map[string]bool{r.current.Name: true, r.update.Name: true}
	for _, p := range append(append([]*corev1.Pod(nil), r.replicas...), r.condemned...) {
		if p != nil {
			live[revision(p)] = true
		}
	}
	return history.Truncate(ctx, c.client, revs, live, r.set.Spec.RevisionHistoryLimit)
}
