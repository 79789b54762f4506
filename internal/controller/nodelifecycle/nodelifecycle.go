package nodelifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	coordlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// Controller tracks node heartbeats; its queue holds node names.
type Controller struct {
	client      kubernetes.Interface
	nodeLister  corelisters.NodeLister
	leaseLister coordlisters.LeaseLister
	recorder    record.EventRecorder
	pool        worker.Pool
	metrics     *metrics
	log         *slog.Logger
	grace       time.Duration

	// Clock measures heartbeat silence; tests replace it.
	Clock clock.PassiveClock

	mu     sync.Mutex
	health map[string]*probe
}

// probe is what the controller last saw of a node's heartbeats and when.
type probe struct {
	renew     time.Time // the Lease's renewTime
	heartbeat time.Time // the Ready condition's lastHeartbeatTime
	seen      time.Time // on Clock, when either last changed
}

// New builds the node lifecycle controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	nodes := cc.Informers.Core().V1().Nodes()
	leases := cc.Informers.Coordination().V1().Leases()
	c := &Controller{
		client: cc.Client, nodeLister: nodes.Lister(), leaseLister: leases.Lister(),
		recorder: cc.Recorder("node-controller"), metrics: m,
		log: cc.Log.With("controller", "nodelifecycle"), grace: cc.Options.NodeMonitorGracePeriod,
		Clock: clock.RealClock{}, health: map[string]*probe{},
	}
	queue := worker.NewQueue("nodelifecycle")
	enqueueLease := worker.Enqueuer(func(key string) {
		if ns, name, _ := cache.SplitMetaNamespaceKey(key); ns == corev1.NamespaceNodeLease {
			queue.Add(name)
		}
	})
	if err := worker.AddHandlers(
		worker.Watch{Informer: nodes.Informer(), Handler: worker.KeyHandler(queue.Add)},
		worker.Watch{Informer: leases.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: enqueueLease, UpdateFunc: func(_, cur any) { enqueueLease(cur) },
		}},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "nodelifecycle", Queue: queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{nodes.Informer().HasSynced, leases.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run watches nodes until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

// sync checks the heartbeats of node name, marks it Unknown when they
// stopped, and brings its taints in line with its conditions.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodeLister.Get(name)
	if apierrors.IsNotFound(err) {
		c.mu.Lock()
		delete(c.health, name)
		c.mu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	silent := c.observe(node)
	if silent > c.grace {
		if node, err = c.markSilent(ctx, node); err != nil {
			return err
		}
	} else {
		c.pool.Queue.AddAfter(name, c.grace-silent+time.Second)
	}
	return c.updateTaints(ctx, node)
}

// observe records the node's current heartbeats and returns for how long
// they have not changed.
func (c *Controller) observe(node *corev1.Node) time.Duration {
	now := c.Clock.Now()
	var cur probe
	if lease, err := c.leaseLister.Leases(corev1.NamespaceNodeLease).Get(node.Name); err == nil && lease.Spec.RenewTime != nil {
		cur.renew = lease.Spec.RenewTime.Time
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			cur.heartbeat = cond.LastHeartbeatTime.Time
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.health[node.Name]
	if p == nil || !p.renew.Equal(cur.renew) || !p.heartbeat.Equal(cur.heartbeat) {
		cur.seen = now
		c.health[node.Name] = &cur
		return 0
	}
	return now.Sub(p.seen)
}

// markSilent sets the node's conditions to Unknown and its pods to not
// ready; it returns the node as written.
func (c *Controller) markSilent(ctx context.Context, node *corev1.Node) (*corev1.Node, error) {
	now := metav1.NewTime(c.Clock.Now())
	node = node.DeepCopy()
	if !markUnknown(&node.Status, node.CreationTimestamp, now) {
		return node, nil
	}
	written, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("mark node %s unknown: %w", node.Name, err)
	}
	node = written
	c.metrics.unknown.Inc()
	c.log.Info("node stopped posting status", "node", node.Name, "grace", c.grace)
	c.recorder.Eventf(node, corev1.EventTypeNormal, "NodeNotReady", "Node %s status is now: NodeNotReady", node.Name)
	return node, c.markPodsNotReady(ctx, node.Name, now)
}

// markPodsNotReady sets the Ready condition of the pods on node to False,
// so that endpoints stop sending them traffic.
func (c *Controller) markPodsNotReady(ctx context.Context, node string, now metav1.Time) error {
	pods, err := c.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String(),
	})
	if err != nil {
		return fmt.Errorf("list pods of node %s: %w", node, err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		changed := false
		for j := range pod.Status.Conditions {
			cond := &pod.Status.Conditions[j]
			if cond.Type == corev1.PodReady && cond.Status != corev1.ConditionFalse {
				cond.Status, cond.LastTransitionTime = corev1.ConditionFalse, now
				changed = true
			}
		}
		if !changed {
			continue
		}
		_, err := c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("mark pod %s/%s not ready: %w", pod.Namespace, pod.Name, err)
		}
	}
	return nil
}

// updateTaints writes the node's managed taints if they are not what its
// conditions call for.
func (c *Controller) updateTaints(ctx context.Context, node *corev1.Node) error {
	if _, changed := reconcileTaints(node.Spec.Taints, wantedTaints(node), c.Clock.Now()); !changed {
		return nil
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		fresh, err := c.client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		taints, changed := reconcileTaints(fresh.Spec.Taints, wantedTaints(fresh), c.Clock.Now())
		if !changed {
			return nil
		}
		fresh.Spec.Taints = taints
		_, err = c.client.CoreV1().Nodes().Update(ctx, fresh, metav1.UpdateOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update taints of node %s: %w", node.Name, err)
	}
	c.metrics.taintUpdates.Inc()
	return nil
}
