package nodeipam

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync      *worker.SyncMetrics
	allocated prometheus.Gauge
	full      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "nodeipam")
	if err != nil {
		return nil, err
	}
	m := &metrics{
		sync: s,
		allocated: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "skiff", Subsystem: "nodeipam", Name: "allocated_cidrs",
			Help: "Node pod CIDRs currently handed out.",
		}),
		full: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "nodeipam", Name: "cidr_not_available_total",
			Help: "Allocations that failed because the cluster CIDR was exhausted.",
		}),
	}
	return m, worker.Register(reg, m.allocated, m.full)
}
