// Package flowcontrol is API priority and fairness: it classifies each
// request by the FlowSchemas, admits it into its priority level's seats
// or queues it, and rejects what does not fit, as Kubernetes does. It
// also keeps the bootstrap configuration and the schemas' Dangling
// condition.
package flowcontrol

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// queueWaitLimit is how long a request may wait in a queue: a quarter of
// Kubernetes' default 60s request timeout.
const queueWaitLimit = 15 * time.Second

// Config wires the controller.
type Config struct {
	FlowSchemas, PriorityLevels *generic.Store
	// ServerSeats is the concurrency the Limited levels share (Kubernetes:
	// --max-requests-inflight + --max-mutating-requests-inflight).
	ServerSeats int
	Metrics     prometheus.Registerer
	Log         *slog.Logger
}

// Controller enforces API priority and fairness. New starts nothing;
// Run keeps the configuration and its snapshot; Begin admits requests.
// Until the first snapshot is built, every request passes.
type Controller struct {
	cfg     Config
	metrics *metrics
	snap    atomic.Pointer[snapshot]
	// levels is owned by Run's goroutine.
	levels levelSet
}

// New returns a controller for cfg.
func New(cfg Config) *Controller {
	return &Controller{cfg: cfg, metrics: newMetrics(cfg.Metrics), levels: levelSet{}}
}

// Outcome is a classified request. Done must be called when an admitted
// request ends.
type Outcome struct {
	FlowSchemaUID, PriorityLevelUID types.UID
	sc                              *schema
	seat                            bool
}

// Classified reports whether a schema matched.
func (o Outcome) Classified() bool { return o.sc != nil }

// Done gives the request's seat back.
func (o Outcome) Done() {
	if o.sc == nil {
		return
	}
	o.sc.series.executing.Dec()
	if o.seat {
		o.sc.lv.release()
	}
}

// Begin classifies d and waits for a seat of its level. rejected is true
// when the request must be answered 429; the outcome still names the
// schema and level.
func (c *Controller) Begin(ctx context.Context, d *Digest) (o Outcome, rejected bool) {
	snap := c.snap.Load()
	if snap == nil {
		return o, false
	}
	sc := snap.classify(d)
	if sc == nil {
		return o, false
	}
	o = Outcome{FlowSchemaUID: sc.fs.UID, PriorityLevelUID: sc.levelUID, sc: sc}
	if sc.lv != nil && !d.LongRunning {
		reason := sc.lv.acquire(ctx, func() uint64 { return flowHash(sc, d) }, sc.series.inQueue.Add)
		if reason != "" {
			c.metrics.rejected.WithLabelValues(sc.fs.Spec.PriorityLevelConfiguration.Name, sc.fs.Name, reason).Inc()
			return Outcome{FlowSchemaUID: o.FlowSchemaUID, PriorityLevelUID: o.PriorityLevelUID}, true
		}
		o.seat = true
	}
	sc.series.dispatched.Inc()
	sc.series.executing.Inc()
	return o, false
}
