package job

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync        *worker.SyncMetrics
	finished    *prometheus.CounterVec
	podsCreated prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "job")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "job"}
	m := &metrics{
		sync:        s,
		finished:    mk.CounterVec("finished_total", "Jobs that finished, by condition (Complete or Failed) and reason.", "condition", "reason"),
		podsCreated: mk.Counter("pods_created_total", "Pods created for jobs."),
	}
	return m, worker.Register(reg, m.finished, m.podsCreated)
}
