package namespace

import (
	"context"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// RecheckInterval is how long a Namespace with content left waits before
// it is looked at again.
const RecheckInterval = 2 * time.Second

// Controller is the namespace controller.
type Controller struct {
	client  kubernetes.Interface
	dynamic dynamic.Interface
	lister  corelisters.NamespaceLister
	queue   workqueue.TypedRateLimitingInterface[string]
	pool    worker.Pool
	log     *slog.Logger

	// Now is the clock of condition times; tests replace it.
	Now func() time.Time
	// Recheck is how long to wait while content is still going.
	Recheck time.Duration
}

// New builds the namespace controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	inf := cc.Informers.Core().V1().Namespaces()
	c := &Controller{
		client: cc.Client, dynamic: cc.Dynamic, lister: inf.Lister(),
		queue: worker.NewQueue("namespace"), log: cc.Log.With("controller", "namespace"),
		Now: time.Now, Recheck: RecheckInterval,
	}
	enqueue := func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
			c.queue.Add(ns.Name)
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, cur any) { enqueue(cur) },
	}); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "namespace", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: []cache.InformerSynced{inf.Informer().HasSynced}, Metrics: m, Log: c.log,
	}
	return c, nil
}

// Run empties terminating Namespaces until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }
