package replicaset

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync    *worker.SyncMetrics
	created prometheus.Counter
	deleted prometheus.Counter
}

// newMetrics registers skiff_<name>_syncs_total, …_sync_duration_seconds,
// …_pods_created_total and …_pods_deleted_total.
func newMetrics(reg prometheus.Registerer, name string) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, name)
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: name}
	m := &metrics{
		sync:    s,
		created: mk.Counter("pods_created_total", "Pods the controller created."),
		deleted: mk.Counter("pods_deleted_total", "Pods the controller deleted."),
	}
	return m, worker.Register(reg, m.created, m.deleted)
}
