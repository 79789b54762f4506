package tainteviction

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// nodeIndex indexes pods by spec.nodeName.
const nodeIndex = "tainteviction.skiff.sh/node"

// Condition reason and message of an eviction, as Kubernetes writes them.
const (
	ReasonDeletionByTaintManager = "DeletionByTaintManager"
	MessageTaintEviction         = "Taint manager: deleting due to NoExecute taint"
)

// Controller evicts pods from NoExecute-tainted nodes; its queue holds
// node names.
type Controller struct {
	client     kubernetes.Interface
	nodeLister corelisters.NodeLister
	pods       cache.Indexer
	recorder   record.EventRecorder
	pool       worker.Pool
	metrics    *metrics
	log        *slog.Logger

	// Clock decides when tolerations run out; tests replace it.
	Clock clock.PassiveClock

	mu sync.Mutex
	// firstSeen holds, per node and taint key, when a NoExecute taint
	// without timeAdded was first seen.
	firstSeen map[string]map[string]time.Time
}

// New builds the taint eviction controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	nodes := cc.Informers.Core().V1().Nodes()
	pods := cc.Informers.Core().V1().Pods().Informer()
	if err := pods.AddIndexers(cache.Indexers{nodeIndex: podNode}); err != nil {
		return nil, err
	}
	c := &Controller{
		client: cc.Client, nodeLister: nodes.Lister(), pods: pods.GetIndexer(),
		recorder: cc.Recorder("taint-eviction-controller"), metrics: m,
		log: cc.Log.With("controller", "tainteviction"), Clock: clock.RealClock{},
		firstSeen: map[string]map[string]time.Time{},
	}
	queue := worker.NewQueue("tainteviction")
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { queue.Add(obj.(*corev1.Node).Name) },
		UpdateFunc: func(_, cur any) { queue.Add(cur.(*corev1.Node).Name) },
	}); err != nil {
		return nil, err
	}
	enqueuePod := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok && pod.Spec.NodeName != "" {
			queue.Add(pod.Spec.NodeName)
		}
	}
	if _, err := pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueuePod, UpdateFunc: func(_, cur any) { enqueuePod(cur) },
	}); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "tainteviction", Queue: queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{nodes.Informer().HasSynced, pods.HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

func podNode(obj any) ([]string, error) {
	if pod, ok := obj.(*corev1.Pod); ok && pod.Spec.NodeName != "" {
		return []string{pod.Spec.NodeName}, nil
	}
	return nil, nil
}

// Run evicts pods until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

// sync evicts the pods of node name whose tolerations of its NoExecute
// taints ran out, and comes back when the next one will.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodeLister.Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	var taints []corev1.Taint
	if node != nil {
		taints = noExecute(node)
	}
	since := c.taintedSince(name, taints)
	if len(taints) == 0 {
		return nil
	}
	objs, err := c.pods.ByIndex(nodeIndex, name)
	if err != nil {
		return err
	}
	now := c.Clock.Now()
	var next time.Duration
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		d, bounded := evictAfter(pod.Spec.Tolerations, taints)
		if !bounded {
			continue
		}
		if wait := since.Add(d).Sub(now); wait > 0 {
			if next == 0 || wait < next {
				next = wait
			}
			continue
		}
		if err := c.evict(ctx, pod); err != nil {
			return err
		}
	}
	if next > 0 {
		c.pool.Queue.AddAfter(name, next)
	}
	return nil
}

// taintedSince returns when the newest of taints was added; taints
// without timeAdded count from when this controller first saw them.
// It forgets what it saw of taints that are gone.
func (c *Controller) taintedSince(node string, taints []corev1.Taint) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]time.Time{}
	var since time.Time
	for _, t := range taints {
		at := c.firstSeen[node][t.Key]
		switch {
		case t.TimeAdded != nil:
			at = t.TimeAdded.Time
		case at.IsZero():
			at = c.Clock.Now()
			fallthrough
		default:
			seen[t.Key] = at
		}
		if at.After(since) {
			since = at
		}
	}
	if len(seen) == 0 {
		delete(c.firstSeen, node)
	} else {
		c.firstSeen[node] = seen
	}
	return since
}

// evict marks pod as disrupted and deletes it.
func (c *Controller) evict(ctx context.Context, pod *corev1.Pod) error {
	pod = pod.DeepCopy()
	cond := corev1.PodCondition{
		Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
		Reason: ReasonDeletionByTaintManager, Message: MessageTaintEviction,
		LastTransitionTime: metav1.NewTime(c.Clock.Now()),
	}
	replaced := false
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.DisruptionTarget {
			pod.Status.Conditions[i], replaced = cond, true
		}
	}
	if !replaced {
		pod.Status.Conditions = append(pod.Status.Conditions, cond)
	}
	pods := c.client.CoreV1().Pods(pod.Namespace)
	if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("mark pod %s/%s disrupted: %w", pod.Namespace, pod.Name, err)
	}
	c.recorder.Eventf(pod, corev1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s/%s", pod.Namespace, pod.Name)
	err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	c.metrics.evicted.Inc()
	c.log.Info("evicted pod from tainted node", "pod", pod.Namespace+"/"+pod.Name, "node", pod.Spec.NodeName)
	return nil
}
