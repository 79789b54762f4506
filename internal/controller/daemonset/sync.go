package daemonset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/controller/history"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// templateGenerationLabel is the deprecated label Kubernetes still puts
// on daemon pods: the DaemonSet generation they were made from.
const templateGenerationLabel = "pod-template-generation"

// round is one sync of one DaemonSet.
type round struct {
	key    string
	ds     *appsv1.DaemonSet
	hash   string
	nodes  []*corev1.Node
	byNode map[string][]*corev1.Pod
	now    time.Time
}

func (c *Controller) sync(ctx context.Context, key string) error {
	ds, found, err := worker.Get(key, func(ns, name string) (*appsv1.DaemonSet, error) {
		return c.dsLister.DaemonSets(ns).Get(name)
	})
	if err == nil && !found {
		c.exp.Forget(key)
		return nil
	}
	if err != nil || ds.DeletionTimestamp != nil {
		return err
	}
	ds = ds.DeepCopy()
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return fmt.Errorf("daemonset %s selector: %w", key, err)
	}
	owner := history.NewOwner(ds, dsKind, sel, ds.Status.CollisionCount)
	revs, cur, err := history.Sync(ctx, c.client, c.revLister, owner, &ds.Spec.Template)
	if errors.Is(err, history.ErrCollision) {
		ds.Status.CollisionCount = owner.CollisionCount
		return errors.Join(err, c.writeStatus(ctx, ds))
	}
	if err != nil {
		return err
	}
	r := &round{key: key, ds: ds, hash: cur.Labels[appsv1.ControllerRevisionHashLabelKey], now: c.Clock.Now()}
	if r.nodes, err = c.nodeLister.List(labels.Everything()); err != nil {
		return err
	}
	if r.byNode, err = c.podsByNode(ds, sel); err != nil {
		return err
	}
	var manageErr error
	if c.exp.Satisfied(key) {
		creates, deletes := c.plan(r)
		manageErr = c.apply(ctx, r, creates, deletes)
	}
	if err := c.updateStatus(ctx, r); err != nil {
		return errors.Join(manageErr, err)
	}
	return errors.Join(manageErr, c.truncate(ctx, r, revs, cur))
}

// podsByNode returns the DaemonSet's pods by the node they are for,
// oldest first.
func (c *Controller) podsByNode(ds *appsv1.DaemonSet, sel labels.Selector) (map[string][]*corev1.Pod, error) {
	all, err := c.podLister.Pods(ds.Namespace).List(sel)
	if err != nil {
		return nil, err
	}
	out := map[string][]*corev1.Pod{}
	for _, p := range all {
		if !podutil.IsControlledBy(p, ds.UID) {
			continue
		}
		if n := targetNode(p); n != "" {
			out[n] = append(out[n], p)
		}
	}
	for _, pods := range out {
		sort.SliceStable(pods, func(i, j int) bool {
			return pods[i].CreationTimestamp.Before(&pods[j].CreationTimestamp)
		})
	}
	return out, nil
}

// plan returns the nodes that need a new pod and the pods to delete.
func (c *Controller) plan(r *round) (creates []string, deletes []*corev1.Pod) {
	surge := c.surging(r)
	for _, node := range r.nodes {
		run, keep := shouldRun(r.ds, node)
		pods := r.byNode[node.Name]
		switch {
		case run && len(pods) == 0:
			creates = append(creates, node.Name)
		case keep:
			deletes = append(deletes, c.cleanNode(r, node.Name, pods, surge)...)
		default:
			for _, p := range pods {
				if p.DeletionTimestamp == nil {
					deletes = append(deletes, p)
				}
			}
		}
	}
	if r.ds.Spec.UpdateStrategy.Type != appsv1.OnDeleteDaemonSetStrategyType {
		moreCreates, moreDeletes := c.rollingUpdate(r)
		creates = append(creates, moreCreates...)
		deletes = append(deletes, moreDeletes...)
	}
	return creates, dedupe(deletes)
}

// cleanNode returns the pods to delete from a node that keeps running the
// daemon: finished ones and surplus ones. While surging, an old and a new
// pod may run side by side until the new one is ready.
func (c *Controller) cleanNode(r *round, node string, pods []*corev1.Pod, surge bool) []*corev1.Pod {
	var deletes, running []*corev1.Pod
	for _, p := range pods {
		switch {
		case p.DeletionTimestamp != nil:
		case p.Status.Phase == corev1.PodFailed:
			c.recorder.Eventf(r.ds, corev1.EventTypeWarning, "FailedDaemonPod", "Found failed daemon pod %s/%s on node %s, will try to kill it", p.Namespace, p.Name, node)
			deletes = append(deletes, p)
		case p.Status.Phase == corev1.PodSucceeded:
			deletes = append(deletes, p)
		default:
			running = append(running, p)
		}
	}
	if !surge {
		if len(running) > 1 {
			deletes = append(deletes, running[1:]...)
		}
		return deletes
	}
	var oldestNew, oldestOld *corev1.Pod
	for _, p := range running {
		switch {
		case p.Labels[appsv1.ControllerRevisionHashLabelKey] == r.hash && oldestNew == nil:
			oldestNew = p
		case p.Labels[appsv1.ControllerRevisionHashLabelKey] != r.hash && oldestOld == nil:
			oldestOld = p
		default:
			deletes = append(deletes, p)
		}
	}
	if oldestNew != nil && oldestOld != nil && (!podutil.IsPodReady(oldestOld) || podutil.IsPodReady(oldestNew)) {
		deletes = append(deletes, oldestOld)
	}
	return deletes
}

func dedupe(pods []*corev1.Pod) []*corev1.Pod {
	seen := map[types.UID]bool{}
	var out []*corev1.Pod
	for _, p := range pods {
		if !seen[p.UID] {
			seen[p.UID] = true
			out = append(out, p)
		}
	}
	return out
}

// apply creates and deletes pods, expecting to see each in the informer.
func (c *Controller) apply(ctx context.Context, r *round, creates []string, deletes []*corev1.Pod) error {
	uids := make([]types.UID, 0, len(deletes))
	for _, p := range deletes {
		uids = append(uids, p.UID)
	}
	c.exp.Expect(r.key, len(creates), uids)
	var errs []error
	for _, node := range creates {
		pod, err := c.client.CoreV1().Pods(r.ds.Namespace).Create(ctx, newPod(r.ds, node, r.hash), metav1.CreateOptions{})
		if err != nil {
			c.exp.CreationObserved(r.key)
			c.recorder.Eventf(r.ds, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
			errs = append(errs, fmt.Errorf("create daemon pod of %s for node %s: %w", r.key, node, err))
			continue
		}
		c.metrics.podsCreated.Inc()
		c.recorder.Eventf(r.ds, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", pod.Name)
	}
	for _, p := range deletes {
		err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			c.exp.DeletionObserved(r.key, p.UID)
			c.recorder.Eventf(r.ds, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
			errs = append(errs, fmt.Errorf("delete daemon pod %s/%s: %w", p.Namespace, p.Name, err))
			continue
		}
		c.metrics.podsDeleted.Inc()
		c.recorder.Eventf(r.ds, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
	}
	return errors.Join(errs...)
}

// newPod builds the daemon pod of ds for node.
func newPod(ds *appsv1.DaemonSet, node, hash string) *corev1.Pod {
	pod := podutil.PodFromTemplate(&ds.Spec.Template, ds, podutil.NewControllerRef(ds, dsKind))
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[appsv1.ControllerRevisionHashLabelKey] = hash
	pod.Labels[templateGenerationLabel] = strconv.FormatInt(ds.Generation, 10)
	addDaemonTolerations(&pod.Spec)
	pinToNode(&pod.Spec, node)
	return pod
}

// updateStatus counts nodes and pods into the status and writes it if it
// changed.
func (c *Controller) updateStatus(ctx context.Context, r *round) error {
	ds := r.ds
	st := appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, CollisionCount: ds.Status.CollisionCount, Conditions: ds.Status.Conditions}
	var wait time.Duration
	for _, node := range r.nodes {
		run, _ := shouldRun(ds, node)
		pods := r.byNode[node.Name]
		if !run {
			if len(pods) > 0 {
				st.NumberMisscheduled++
			}
			continue
		}
		st.DesiredNumberScheduled++
		if len(pods) == 0 {
			continue
		}
		st.CurrentNumberScheduled++
		if p := pods[0]; podutil.IsPodReady(p) {
			st.NumberReady++
			if podutil.IsPodAvailable(p, ds.Spec.MinReadySeconds, r.now) {
				st.NumberAvailable++
			} else if d := podutil.AvailableIn(p, ds.Spec.MinReadySeconds, r.now); d > 0 && (wait == 0 || d < wait) {
				wait = d
			}
		}
		for _, p := range pods {
			if p.Labels[appsv1.ControllerRevisionHashLabelKey] == r.hash && p.DeletionTimestamp == nil {
				st.UpdatedNumberScheduled++
				break
			}
		}
	}
	st.NumberUnavailable = st.DesiredNumberScheduled - st.NumberAvailable
	if wait > 0 {
		c.queue.AddAfter(r.key, wait)
	}
	if equality.Semantic.DeepEqual(st, ds.Status) {
		return nil
	}
	ds.Status = st
	return c.writeStatus(ctx, ds)
}

func (c *Controller) writeStatus(ctx context.Context, ds *appsv1.DaemonSet) error {
	if _, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, ds, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update status of daemonset %s/%s: %w", ds.Namespace, ds.Name, err)
	}
	return nil
}

// truncate deletes revisions beyond revisionHistoryLimit that neither the
// current template nor any pod uses.
func (c *Controller) truncate(ctx context.Context, r *round, revs []*appsv1.ControllerRevision, cur *appsv1.ControllerRevision) error {
	used := map[string]bool{}
	for _, pods := range r.byNode {
		for _, p := range pods {
			used[p.Labels[appsv1.ControllerRevisionHashLabelKey]] = true
		}
	}
	live := map[string]bool{cur.Name: true}
	for _, rev := range revs {
		if used[rev.Labels[appsv1.ControllerRevisionHashLabelKey]] {
			live[rev.Name] = true
		}
	}
	return history.Truncate(ctx, c.client, revs, live, r.ds.Spec.RevisionHistoryLimit)
}
