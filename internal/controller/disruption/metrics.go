package disruption

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync    *worker.SyncMetrics
	updates prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "disruption")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "disruption"}
	m := &metrics{sync: s, updates: mk.Counter("status_updates_total", "PodDisruptionBudget status updates written.")}
	return m, worker.Register(reg, m.updates)
}
