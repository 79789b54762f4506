package endpointslice

import (
	"context"
	"log/slog"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podendpoint"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// Labels and values Kubernetes puts on controller-managed slices.
const (
	ManagedBy     = "endpointslice-controller.k8s.io"
	labelHeadless = "service.kubernetes.io/headless"
)

// MaxEndpointsPerSlice is Kubernetes' default --max-endpoints-per-slice.
const MaxEndpointsPerSlice = 100

// Controller is the EndpointSlice controller.
type Controller struct {
	client   kubernetes.Interface
	services corelisters.ServiceLister
	pods     corelisters.PodLister
	nodes    corelisters.NodeLister
	slices   discoverylisters.EndpointSliceLister
	queue    workqueue.TypedRateLimitingInterface[string]
	pool     worker.Pool
	metrics  *metrics
	log      *slog.Logger
	// MaxEndpoints caps the endpoints of one slice.
	MaxEndpoints int
}

// New builds the EndpointSlice controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	svcs := cc.Informers.Core().V1().Services()
	pods := cc.Informers.Core().V1().Pods()
	nodes := cc.Informers.Core().V1().Nodes()
	slices := cc.Informers.Discovery().V1().EndpointSlices()
	c := &Controller{
		client: cc.Client, services: svcs.Lister(), pods: pods.Lister(), nodes: nodes.Lister(), slices: slices.Lister(),
		queue: worker.NewQueue("endpointslice"), metrics: m,
		log: cc.Log.With("controller", "endpointslice"), MaxEndpoints: MaxEndpointsPerSlice,
	}
	if err := worker.AddHandlers(
		worker.Watch{Informer: svcs.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
		worker.Watch{Informer: pods.Informer(), Handler: podendpoint.PodHandler(c.services, c.queue.Add)},
		// A slice changed or deleted by someone else is put back; a slice
		// created while the cache lagged (a duplicate) is merged away.
		worker.Watch{Informer: slices.Informer(), Handler: worker.Handler(c.sliceChanged)},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "endpointslice", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: []cache.InformerSynced{svcs.Informer().HasSynced, pods.Informer().HasSynced,
			nodes.Informer().HasSynced, slices.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run syncs Services until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

func (c *Controller) sliceChanged(obj any) {
	s, ok := worker.Unwrap[*discoveryv1.EndpointSlice](obj)
	if !ok || s.Labels[discoveryv1.LabelManagedBy] != ManagedBy || s.Labels[discoveryv1.LabelServiceName] == "" {
		return
	}
	c.queue.Add(s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName])
}
