// Package scheduler assigns pending pods to nodes, as kube-scheduler: it
// pops pods from a priority queue, filters the nodes of an informer-fed
// cache through the plugins, scores the feasible ones, assumes the pod on
// the best node and binds it through pods/binding while it goes on with
// the next pod. Pods that fit nowhere may preempt lower-priority pods;
// the others wait for a cluster event that may make them fit.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	schedcache "github.com/skiff-sh/skiff/internal/scheduler/cache"
	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/queue"
)

// Scheduler is the scheduler component.
type Scheduler struct {
	cfg       Config
	log       *slog.Logger
	informers informers.SharedInformerFactory
	pods      corelisters.PodLister
	classes   schedulinglisters.PriorityClassLister
	cache     *schedcache.Cache
	snapshot  *schedcache.Snapshot
	queue     *queue.PriorityQueue
	fwk       *framework.Framework
	recorder  *recorder
	metrics   *metrics
	// nextStartNodeIndex rotates where the node search starts, so that
	// searching a fraction of the nodes does not favour the same ones.
	nextStartNodeIndex int
	// filterStatuses is findNodesThatPassFilters' buffer, one entry per
	// node, kept between pods to spare the allocation.
	filterStatuses []*framework.Status
	// async tracks binding and status-update goroutines.
	async sync.WaitGroup
}

// New validates cfg, fills its defaults and builds the scheduler. It
// starts nothing.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Scheduler{
		cfg:       cfg,
		log:       cfg.Log,
		informers: informers.NewSharedInformerFactory(cfg.Client, 0),
		cache:     schedcache.New(),
		snapshot:  schedcache.NewSnapshot(),
		recorder:  &recorder{},
	}
	s.pods = s.informers.Core().V1().Pods().Lister()
	s.classes = s.informers.Scheduling().V1().PriorityClasses().Lister()
	s.queue = queue.New(queue.Config{Clock: cfg.Clock})
	fwk, err := framework.New(framework.Options{
		Registry: cfg.Registry, Plugins: cfg.Plugins,
		Args:   framework.Args{ScoringStrategy: cfg.ScoringStrategy},
		Client: cfg.Client, Informers: s.informers, Recorder: s.recorder,
		Snapshot: s.snapshot, Nominator: s.queue, Parallelism: cfg.Parallelism,
	})
	if err != nil {
		return nil, err
	}
	s.fwk = fwk
	s.queue.SetPluginEvents(fwk.EventsToRegister())
	if s.metrics, err = newMetrics(cfg.Metrics, s.queue); err != nil {
		return nil, fmt.Errorf("scheduler metrics: %w", err)
	}
	return s, nil
}

// Run schedules pods until ctx is cancelled, then waits for its informers,
// bindings and status updates to finish and returns nil. Run may be called
// once.
func (s *Scheduler) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	defer broadcaster.Shutdown()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: s.cfg.Client.CoreV1().Events("")})
	s.recorder.set(broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: s.cfg.SchedulerName}))

	if err := s.addEventHandlers(); err != nil {
		return err
	}
	s.informers.Start(ctx.Done())
	defer s.informers.Shutdown()
	for typ, ok := range s.informers.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("scheduler: %v cache did not sync", typ)
		}
	}
	nodes, pods := s.cache.Counts()
	s.log.Info("scheduler started", "name", s.cfg.SchedulerName, "nodes", nodes, "pods", pods)

	var wg sync.WaitGroup
	wg.Go(func() { s.queue.Run(ctx) })
	defer wg.Wait()
	defer s.async.Wait()
	for {
		err := s.scheduleOne(ctx)
		if errors.Is(err, queue.ErrClosed) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// recorder hands events to the broadcaster that Run starts; plugins get
// it at New, before there is one.
type recorder struct {
	mu sync.RWMutex
	r  record.EventRecorder
}

var _ record.EventRecorder = (*recorder)(nil)

func (r *recorder) set(er record.EventRecorder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.r = er
}

func (r *recorder) get() record.EventRecorder {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.r == nil {
		return &record.FakeRecorder{}
	}
	return r.r
}

func (r *recorder) Event(obj runtime.Object, typ, reason, msg string) {
	r.get().Event(obj, typ, reason, msg)
}

func (r *recorder) Eventf(obj runtime.Object, typ, reason, format string, args ...any) {
	r.get().Eventf(obj, typ, reason, format, args...)
}

func (r *recorder) AnnotatedEventf(obj runtime.Object, annotations map[string]string, typ, reason, format string, args ...any) {
	r.get().AnnotatedEventf(obj, annotations, typ, reason, format, args...)
}

// tombstone unwraps the object of a delete notification.
func tombstone[T any](obj any) (T, bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	t, ok := obj.(T)
	return t, ok
}
