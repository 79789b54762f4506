package garbagecollector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	processed *prometheus.CounterVec
	deleted   prometheus.Counter
	orphaned  prometheus.Counter
}

// newMetrics registers skiff_garbagecollector_items_total{result},
// …_deleted_total and …_orphaned_total.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "garbagecollector", Name: "items_total",
			Help: "Objects examined, by result (success or error).",
		}, []string{"result"}),
		deleted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "garbagecollector", Name: "deleted_total",
			Help: "Dependents deleted because their owners were gone or going.",
		}),
		orphaned: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "garbagecollector", Name: "orphaned_total",
			Help: "Dependents whose ownerReference was removed for an orphaning owner.",
		}),
	}
	return m, worker.Register(reg, m.processed, m.deleted, m.orphaned)
}

func (m *metrics) observe(err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	m.processed.WithLabelValues(result).Inc()
}
