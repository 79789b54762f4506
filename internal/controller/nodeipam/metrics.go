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
	mk := worker.Metrics{Subsystem: "nodeipam"}
	m := &metrics{
		sync:      s,
		allocated: mk.Gauge("allocated_cidrs", "Node pod CIDRs currently handed out."),
		full:      mk.Counter("cidr_not_available_total", "Allocations that failed because the cluster CIDR was exhausted."),
	}
	return m, worker.Register(reg, m.allocated, m.full)
}
