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
	mk := worker.Metrics{Subsystem: "garbagecollector"}
	m := &metrics{
		processed: mk.CounterVec("items_total", "Objects examined, by result (success or error).", "result"),
		deleted:   mk.Counter("deleted_total", "Dependents deleted because their owners were gone or going."),
		orphaned:  mk.Counter("orphaned_total", "Dependents whose ownerReference was removed for an orphaning owner."),
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
