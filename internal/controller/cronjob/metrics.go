package cronjob

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync    *worker.SyncMetrics
	created prometheus.Counter
	missed  prometheus.Counter
	skew    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "cronjob")
	if err != nil {
		return nil, err
	}
	m := &metrics{
		sync: s,
		created: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "cronjob", Name: "jobs_created_total",
			Help: "Jobs created on schedule.",
		}),
		missed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "cronjob", Name: "missed_schedules_total",
			Help: "Scheduled starts skipped because startingDeadlineSeconds had passed.",
		}),
		skew: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "skiff", Subsystem: "cronjob", Name: "job_creation_skew_seconds",
			Help:    "Time between a job's scheduled time and its creation, in seconds.",
			Buckets: prometheus.ExponentialBuckets(0.1, 4, 8),
		}),
	}
	return m, worker.Register(reg, m.created, m.missed, m.skew)
}
