package nodelifecycle

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync         *worker.SyncMetrics
	unknown      prometheus.Counter
	taintUpdates prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "nodelifecycle")
	if err != nil {
		return nil, err
	}
	m := &metrics{
		sync: s,
		unknown: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "nodelifecycle", Name: "nodes_marked_unknown_total",
			Help: "Times a node was marked Ready=Unknown after missing its heartbeats.",
		}),
		taintUpdates: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "nodelifecycle", Name: "taint_updates_total",
			Help: "Writes of a node's condition taints.",
		}),
	}
	return m, worker.Register(reg, m.unknown, m.taintUpdates)
}
