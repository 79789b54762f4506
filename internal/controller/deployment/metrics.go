package deployment

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync      *worker.SyncMetrics
	rollbacks prometheus.Counter
}

// newMetrics registers skiff_deployment_syncs_total,
// skiff_deployment_sync_duration_seconds and
// skiff_deployment_auto_rollbacks_total.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "deployment")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "deployment"}
	m := &metrics{sync: s, rollbacks: mk.Counter("auto_rollbacks_total", "Automatic rollbacks of Deployments that exceeded their progress deadline.")}
	return m, worker.Register(reg, m.rollbacks)
}
