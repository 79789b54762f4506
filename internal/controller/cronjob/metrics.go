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
	mk := worker.Metrics{Subsystem: "cronjob"}
	m := &metrics{
		sync:    s,
		created: mk.Counter("jobs_created_total", "Jobs created on schedule."),
		missed:  mk.Counter("missed_schedules_total", "Scheduled starts skipped because startingDeadlineSeconds had passed."),
		skew:    mk.Histogram("job_creation_skew_seconds", "Time between a job's scheduled time and its creation, in seconds.", prometheus.ExponentialBuckets(0.1, 4, 8)),
	}
	return m, worker.Register(reg, m.created, m.missed, m.skew)
}
