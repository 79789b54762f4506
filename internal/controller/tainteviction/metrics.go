package tainteviction

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync    *worker.SyncMetrics
	evicted prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "tainteviction")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "tainteviction"}
	m := &metrics{sync: s, evicted: mk.Counter("pod_deletions_total", "Pods deleted because of NoExecute taints.")}
	return m, worker.Register(reg, m.evicted)
}
