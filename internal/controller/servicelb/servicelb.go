package servicelb

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

const (
	// Class is the spec.loadBalancerClass this controller serves besides
	// an unset one.
	Class = "skiff.dev/servicelb"
	// Finalizer keeps a Service until its address is released; the name
	// is Kubernetes' service controller's.
	Finalizer = "service.kubernetes.io/load-balancer-cleanup"
)

// Controller assigns LoadBalancer Services their addresses; its queue
// holds Service keys.
type Controller struct {
	client    kubernetes.Interface
	svcLister corelisters.ServiceLister
	// nodeLister is set without a pool, alloc with one.
	nodeLister corelisters.NodeLister
	alloc      *allocator
	queue      workqueue.TypedRateLimitingInterface[string]
	pool       worker.Pool
	recorder   record.EventRecorder
	metrics    *metrics
}

// New builds the service-lb-controller; it fails on an invalid
// Options.LoadBalancerIPPool.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	p, err := ParsePool(cc.Options.LoadBalancerIPPool)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	svcs := cc.Informers.Core().V1().Services()
	c := &Controller{
		client: cc.Client, svcLister: svcs.Lister(),
		queue: worker.NewQueue("servicelb"), recorder: cc.Recorder("service-controller"), metrics: m,
	}
	watches := []worker.Watch{{Informer: svcs.Informer(), Handler: worker.KeyHandler(c.queue.Add)}}
	synced := []cache.InformerSynced{svcs.Informer().HasSynced}
	if p.Empty() {
		// Only node addresses need the nodes.
		nodes := cc.Informers.Core().V1().Nodes()
		c.nodeLister = nodes.Lister()
		watches = append(watches, worker.Watch{Informer: nodes.Informer(), Handler: c.nodeHandler()})
		synced = append(synced, nodes.Informer().HasSynced)
	} else {
		c.alloc = newAllocator(p)
	}
	if err := worker.AddHandlers(watches...); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "servicelb", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: synced, Metrics: m.sync, Log: cc.Log.With("controller", "service-lb-controller"),
	}
	return c, nil
}

// Run restores pool allocations from Service statuses once the caches
// have synced, then syncs Services until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if c.alloc != nil && cache.WaitForCacheSync(ctx.Done(), c.pool.Synced...) {
		c.restore()
	}
	return c.pool.Run(ctx)
}

// restore gives each Service the pool address its status shows, oldest
// Service first, so a duplicated address stays with its first holder.
func (c *Controller) restore() {
	svcs, err := c.svcLister.List(labels.Everything())
	if err != nil {
		return
	}
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		if d := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); d != 0 {
			return d
		}
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	for _, s := range svcs {
		if !ours(s) || (s.Spec.Type != corev1.ServiceTypeLoadBalancer && !hasFinalizer(s)) {
			continue
		}
		for _, in := range s.Status.LoadBalancer.Ingress {
			if a, err := netip.ParseAddr(in.IP); err == nil && c.alloc.restore(s.Namespace+"/"+s.Name, a) {
				break
			}
		}
	}
	c.metrics.allocated.Set(float64(c.alloc.allocated()))
}

// nodeHandler enqueues every Service when the set of node addresses may
// have changed.
func (c *Controller) nodeHandler() cache.ResourceEventHandlerFuncs {
	all := func(any) { c.enqueueAll() }
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    all,
		DeleteFunc: all,
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.Node)
			n, ok2 := cur.(*corev1.Node)
			if !ok1 || !ok2 || !slices.Equal(nodeAddrs(o), nodeAddrs(n)) {
				c.enqueueAll()
			}
		},
	}
}

// enqueueAll adds every LoadBalancer Service this controller serves.
func (c *Controller) enqueueAll() {
	svcs, err := c.svcLister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, s := range svcs {
		if managed(s) {
			c.queue.Add(s.Namespace + "/" + s.Name)
		}
	}
}

// ours reports whether s is left to this controller by its class.
func ours(s *corev1.Service) bool {
	return s.Spec.LoadBalancerClass == nil || *s.Spec.LoadBalancerClass == Class
}

// managed reports whether s should have a load balancer from us.
func managed(s *corev1.Service) bool {
	return ours(s) && s.Spec.Type == corev1.ServiceTypeLoadBalancer && s.DeletionTimestamp == nil
}

func hasFinalizer(s *corev1.Service) bool { return slices.Contains(s.Finalizers, Finalizer) }
