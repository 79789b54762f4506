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
	m := &metrics{
		sync: s,
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "job", Name: "finished_total",
			Help: "Jobs that finished, by condition (Complete or Failed) and reason.",
		}, []string{"condition", "reason"}),
		podsCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "job", Name: "pods_created_total",
			Help: "Pods created for jobs.",
		}),
	}
	return m, worker.Register(reg, m.finished, m.podsCreated)
}
