package daemonset

import (
	"context"
	"log/slog"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

var dsKind = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// Controller is the DaemonSet controller; its queue holds DaemonSet keys.
type Controller struct {
	client     kubernetes.Interface
	dsLister   appslisters.DaemonSetLister
	podLister  corelisters.PodLister
	nodeLister corelisters.NodeLister
	revLister  appslisters.ControllerRevisionLister
	queue      workqueue.TypedRateLimitingInterface[string]
	exp        *podutil.Expectations
	recorder   record.EventRecorder
	pool       worker.Pool
	metrics    *metrics
	log        *slog.Logger

	// Clock decides pod availability; tests replace it.
	Clock clock.PassiveClock
}

// New builds the DaemonSet controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	apps, core := cc.Informers.Apps().V1(), cc.Informers.Core().V1()
	dss, pods, nodes, revs := apps.DaemonSets(), core.Pods(), core.Nodes(), apps.ControllerRevisions()
	c := &Controller{
		client: cc.Client, dsLister: dss.Lister(), podLister: pods.Lister(),
		nodeLister: nodes.Lister(), revLister: revs.Lister(),
		queue: worker.NewQueue("daemonset"), exp: &podutil.Expectations{},
		recorder: cc.Recorder("daemonset-controller"), metrics: m,
		log: cc.Log.With("controller", "daemonset"), Clock: clock.RealClock{},
	}
	c.exp.Now = func() time.Time { return c.Clock.Now() }
	pe := podutil.PodEvents{Owner: dsKey, Exp: c.exp, Enqueue: c.queue.Add}
	if err := worker.AddHandlers(
		worker.Watch{Informer: dss.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: func(_, cur any) { c.enqueue(cur) },
			DeleteFunc: c.deleteDaemonSet,
		}},
		worker.Watch{Informer: pods.Informer(), Handler: pe.Handler()},
		worker.Watch{Informer: nodes.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { c.enqueueAll() },
			UpdateFunc: c.updateNode,
			DeleteFunc: func(any) { c.enqueueAll() },
		}},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "daemonset", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: []cache.InformerSynced{dss.Informer().HasSynced, pods.Informer().HasSynced,
			nodes.Informer().HasSynced, revs.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run syncs DaemonSets until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

func (c *Controller) enqueue(obj any) { worker.Enqueuer(c.queue.Add)(obj) }

func (c *Controller) deleteDaemonSet(obj any) {
	if key, ok := worker.Key(obj); ok {
		c.exp.Forget(key)
	}
}

func (c *Controller) enqueueAll() {
	all, err := c.dsLister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range all {
		c.enqueue(ds)
	}
}

// updateNode enqueues every DaemonSet when what decides placement
// changed: labels, taints or spec.unschedulable.
func (c *Controller) updateNode(old, cur any) {
	o, n := old.(*corev1.Node), cur.(*corev1.Node)
	if !labels.Equals(o.Labels, n.Labels) || !taintsEqual(o.Spec.Taints, n.Spec.Taints) || o.Spec.Unschedulable != n.Spec.Unschedulable {
		c.enqueueAll()
	}
}

func taintsEqual(a, b []corev1.Taint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].MatchTaint(&b[i]) || a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}

// dsKey returns the key of the DaemonSet controlling pod, if any.
func dsKey(pod *corev1.Pod) (string, bool) { return podutil.ControllerKey(pod, dsKind) }
