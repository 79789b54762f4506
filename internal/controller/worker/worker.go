// Package worker runs a controller's sync function over the keys of its
// rate-limited work queue: the loop every skiff controller shares.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// NewQueue returns the rate-limited queue controllers use, named for
// workqueue metrics.
func NewQueue(name string) workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name})
}

// Pool runs Workers goroutines calling Sync for queued keys; a failed key
// is retried with backoff, a successful one forgotten.
type Pool struct {
	Name    string
	Queue   workqueue.TypedRateLimitingInterface[string]
	Sync    func(ctx context.Context, key string) error
	Workers int
	// Synced are the informers Run waits for before starting workers.
	Synced  []cache.InformerSynced
	Metrics *SyncMetrics
	Log     *slog.Logger
}

// Run waits for the caches, runs the workers until ctx ends, shuts the
// queue down and waits for them; it returns nil on cancel.
func (p *Pool) Run(ctx context.Context) error {
	defer p.Queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), p.Synced...) {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%s: caches did not sync", p.Name)
	}
	var wg sync.WaitGroup
	for range max(p.Workers, 1) {
		wg.Go(func() {
			for p.next(ctx) {
			}
		})
	}
	<-ctx.Done()
	p.Queue.ShutDown()
	wg.Wait()
	return nil
}

func (p *Pool) next(ctx context.Context) bool {
	key, quit := p.Queue.Get()
	if quit {
		return false
	}
	defer p.Queue.Done(key)
	start := time.Now()
	err := p.Sync(ctx, key)
	p.Metrics.observe(time.Since(start), err)
	switch {
	case err == nil:
		p.Queue.Forget(key)
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
	default:
		if p.Log != nil {
			p.Log.Warn("sync failed, retrying", "controller", p.Name, "key", key, "err", err)
		}
		p.Queue.AddRateLimited(key)
	}
	return true
}

// SyncMetrics counts and times a controller's syncs.
type SyncMetrics struct {
	syncs    *prometheus.CounterVec
	duration prometheus.Histogram
}

// NewSyncMetrics registers skiff_<subsystem>_syncs_total{result} and
// skiff_<subsystem>_sync_duration_seconds on reg (nil: not exported).
func NewSyncMetrics(reg prometheus.Registerer, subsystem string) (*SyncMetrics, error) {
	mk := Metrics{Subsystem: subsystem}
	m := &SyncMetrics{
		syncs: mk.CounterVec("syncs_total", "Syncs of one object, by result (success or error).", "result"),
		duration: mk.Histogram("sync_duration_seconds", "Time one sync took, in seconds.",
			prometheus.ExponentialBuckets(0.001, 4, 8)),
	}
	return m, Register(reg, m.syncs, m.duration)
}

// Register registers collectors on reg, which may be nil.
func Register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *SyncMetrics) observe(d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "success"
	if err != nil {
		result = "error"
	}
	m.syncs.WithLabelValues(result).Inc()
	m.duration.Observe(d.Seconds())
}
