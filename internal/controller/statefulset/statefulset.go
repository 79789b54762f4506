package statefulset

import (
	"context"
	"log/slog"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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

var setKind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

// Controller is the StatefulSet controller; its queue holds set keys.
type Controller struct {
	client    kubernetes.Interface
	setLister appslisters.StatefulSetLister
	podLister corelisters.PodLister
	pvcLister corelisters.PersistentVolumeClaimLister
	revLister appslisters.ControllerRevisionLister
	queue     workqueue.TypedRateLimitingInterface[string]
	recorder  record.EventRecorder
	pool      worker.Pool
	metrics   *metrics
	log       *slog.Logger

	// Clock decides pod availability (minReadySeconds); tests replace it.
	Clock clock.PassiveClock
}

// New builds the StatefulSet controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	apps, core := cc.Informers.Apps().V1(), cc.Informers.Core().V1()
	sets, pods, pvcs, revs := apps.StatefulSets(), core.Pods(), core.PersistentVolumeClaims(), apps.ControllerRevisions()
	c := &Controller{
		client: cc.Client, setLister: sets.Lister(), podLister: pods.Lister(),
		pvcLister: pvcs.Lister(), revLister: revs.Lister(), queue: worker.NewQueue("statefulset"),
		recorder: cc.Recorder("statefulset-controller"), metrics: m,
		log: cc.Log.With("controller", "statefulset"), Clock: clock.RealClock{},
	}
	if err := worker.AddHandlers(
		worker.Watch{Informer: sets.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
		worker.Watch{Informer: pods.Informer(), Handler: worker.Handler(c.enqueuePod)},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "statefulset", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: []cache.InformerSynced{sets.Informer().HasSynced, pods.Informer().HasSynced,
			pvcs.Informer().HasSynced, revs.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run syncs StatefulSets until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

// enqueuePod enqueues the StatefulSet controlling pod.
func (c *Controller) enqueuePod(obj any) {
	if pod, ok := worker.Unwrap[*corev1.Pod](obj); ok {
		if key, ok := podutil.ControllerKey(pod, setKind); ok {
			c.queue.Add(key)
		}
	}
}
