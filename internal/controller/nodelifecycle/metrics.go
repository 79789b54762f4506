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
	mk := worker.Metrics{Subsystem: "nodelifecycle"}
	m := &metrics{
		sync:         s,
		unknown:      mk.Counter("nodes_marked_unknown_total", "Times a node was marked Ready=Unknown after missing its heartbeats."),
		taintUpdates: mk.Counter("taint_updates_total", "Writes of a node's condition taints."),
	}
	return m, worker.Register(reg, m.unknown, m.taintUpdates)
}
