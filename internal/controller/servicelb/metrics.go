package servicelb

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync      *worker.SyncMetrics
	allocated prometheus.Gauge
	exhausted prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "servicelb")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "servicelb"}
	m := &metrics{
		sync:      s,
		allocated: mk.Gauge("pool_allocated_addresses", "Pool addresses held by LoadBalancer Services."),
		exhausted: mk.Counter("pool_exhausted_total", "Syncs that found no free pool address."),
	}
	return m, worker.Register(reg, m.allocated, m.exhausted)
}
