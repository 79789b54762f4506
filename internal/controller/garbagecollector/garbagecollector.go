package garbagecollector

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

const ownerIndex = "owner-uid"

// definesResources are the resources whose changes change discovery.
var definesResources = map[schema.GroupResource]bool{
	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}: true,
	{Group: "apiregistration.k8s.io", Resource: "apiservices"}:             true,
}

// ignored resources are never collected (Kubernetes ignores events).
var ignored = map[schema.GroupResource]bool{
	{Group: "", Resource: "events"}:              true,
	{Group: "events.k8s.io", Resource: "events"}: true,
}

// item names one object the queue holds.
type item struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
	uid       types.UID
}

// DefaultResync is how often discovery is read again, as Kubernetes'
// garbage collector does; definitions of custom resources trigger it at
// once.
const DefaultResync = 30 * time.Second

// Controller is the garbage collector.
type Controller struct {
	discovery discovery.DiscoveryInterface
	dynamic   dynamic.Interface
	queue     workqueue.TypedRateLimitingInterface[item]
	workers   int
	metrics   *metrics
	log       *slog.Logger

	// Resync is how often discovery is read again; tests shorten it.
	Resync time.Duration
	// rediscover asks for a resync now (a definition changed).
	rediscover chan struct{}

	// mu guards mapper and monitors, which resync replaces while
	// workers run.
	mu       sync.RWMutex
	mapper   meta.RESTMapper
	monitors map[schema.GroupVersionResource]*monitor
	running  sync.WaitGroup
}

// New builds the garbage collector; discovery and its informers wait for
// Run.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	return &Controller{
		discovery: cc.Client.Discovery(), dynamic: cc.Dynamic,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[item](),
			workqueue.TypedRateLimitingQueueConfig[item]{Name: "garbagecollector"}),
		workers: max(cc.Options.Workers, 1), metrics: m, log: cc.Log.With("controller", "garbagecollector"),
		Resync: DefaultResync, rediscover: make(chan struct{}, 1),
		monitors: map[schema.GroupVersionResource]*monitor{},
	}, nil
}

// Run discovers the deletable resources, watches them and collects
// garbage until ctx ends; resources served later (custom resources) are
// watched from the next resync on.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	defer c.running.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the informers before running.Wait
	synced, err := c.resync(ctx)
	if err != nil {
		return fmt.Errorf("garbage collector discovery: %w", err)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil
	}
	var wg sync.WaitGroup
	for range c.workers {
		wg.Go(func() {
			for c.next(ctx) {
			}
		})
	}
	c.resyncLoop(ctx)
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

// resyncLoop reads discovery again every Resync and whenever a
// definition changes, until ctx ends.
func (c *Controller) resyncLoop(ctx context.Context) {
	t := time.NewTicker(c.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.rediscover:
		}
		if _, err := c.resync(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("garbage collector discovery", "err", err)
		}
	}
}

// discover lists the resources that can be listed, watched, patched and
// deleted, and builds the kind→resource mapper for owner references;
// complete is false when some groups could not be read.
func (c *Controller) discover() (gvrs []schema.GroupVersionResource, mapper meta.RESTMapper, complete bool, err error) {
	groups, err := restmapper.GetAPIGroupResources(c.discovery)
	if err != nil && len(groups) == 0 {
		return nil, nil, false, err
	}
	mapper = restmapper.NewDiscoveryRESTMapper(groups)
	lists, err := c.discovery.ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, nil, false, err
	}
	complete = err == nil
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			gvr := gv.WithResource(r.Name)
			if strings.Contains(r.Name, "/") || ignored[gvr.GroupResource()] ||
				!sets.New(r.Verbs...).HasAll("list", "watch", "delete", "patch") {
				continue
			}
			gvrs = append(gvrs, gvr)
		}
	}
	return gvrs, mapper, complete, nil
}

// toMeta keeps only the metadata of cached objects.
func toMeta(obj any) (any, error) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		m, err := toMeta(t.Obj)
		return cache.DeletedFinalStateUnknown{Key: t.Key, Obj: m}, err
	}
	if _, ok := obj.(*metav1.PartialObjectMetadata); ok {
		return obj, nil
	}
	a, err := meta.Accessor(obj)
	if err != nil {
		return obj, nil
	}
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name: a.GetName(), Namespace: a.GetNamespace(), UID: a.GetUID(), ResourceVersion: a.GetResourceVersion(),
		OwnerReferences: a.GetOwnerReferences(), Finalizers: a.GetFinalizers(), DeletionTimestamp: a.GetDeletionTimestamp(),
	}}, nil
}

func ownerUIDs(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, r := range m.GetOwnerReferences() {
		out = append(out, string(r.UID))
	}
	return out, nil
}

func asMeta(obj any) *metav1.PartialObjectMetadata {
	m, _ := worker.Unwrap[*metav1.PartialObjectMetadata](obj)
	return m
}

func itemOf(gvr schema.GroupVersionResource, m *metav1.PartialObjectMetadata) item {
	return item{gvr: gvr, namespace: m.Namespace, name: m.Name, uid: m.UID}
}

// handler enqueues an object that has owners or is being deleted with a
// GC finalizer; when an object goes, its dependents and owners.
func (c *Controller) handler(gvr schema.GroupVersionResource) cache.ResourceEventHandler {
	changed := func(obj any) {
		m := asMeta(obj)
		if m != nil && (len(m.OwnerReferences) > 0 || m.DeletionTimestamp != nil) {
			c.queue.Add(itemOf(gvr, m))
		}
	}
	if definesResources[gvr.GroupResource()] {
		inner := changed
		changed = func(obj any) {
			inner(obj)
			c.askResync()
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    changed,
		UpdateFunc: func(_, cur any) { changed(cur) },
		DeleteFunc: func(obj any) {
			if definesResources[gvr.GroupResource()] {
				c.askResync()
			}
			m := asMeta(obj)
			if m == nil {
				return
			}
			for _, d := range c.dependents(m.UID) {
				c.queue.Add(d)
			}
			for _, ref := range m.OwnerReferences {
				if owner, ok := c.resolve(ref, m.Namespace); ok {
					c.queue.Add(owner)
				}
			}
		},
	}
}

// askResync asks the resync loop to read discovery again soon.
func (c *Controller) askResync() {
	select {
	case c.rediscover <- struct{}{}:
	default:
	}
}

// dependents lists the cached objects with an ownerReference to uid.
func (c *Controller) dependents(uid types.UID) []item {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []item
	for gvr, m := range c.monitors {
		objs, _ := m.informer.GetIndexer().ByIndex(ownerIndex, string(uid))
		for _, o := range objs {
			if m := asMeta(o); m != nil {
				out = append(out, itemOf(gvr, m))
			}
		}
	}
	return out
}

// resolve maps an ownerReference to the item it names; false when its
// kind is not served.
func (c *Controller) resolve(ref metav1.OwnerReference, ns string) (item, bool) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return item{}, false
	}
	c.mu.RLock()
	mapper := c.mapper
	c.mu.RUnlock()
	mapping, err := mapper.RESTMapping(gv.WithKind(ref.Kind).GroupKind(), gv.Version)
	if err != nil {
		return item{}, false
	}
	if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
		ns = ""
	}
	return item{gvr: mapping.Resource, namespace: ns, name: ref.Name, uid: ref.UID}, true
}

func (c *Controller) next(ctx context.Context) bool {
	it, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(it)
	err := c.process(ctx, it)
	c.metrics.observe(err)
	if err != nil && ctx.Err() == nil {
		c.log.Warn("garbage collection failed, retrying", "resource", it.gvr.String(), "namespace", it.namespace, "name", it.name, "err", err)
		c.queue.AddRateLimited(it)
		return true
	}
	c.queue.Forget(it)
	return true
}
