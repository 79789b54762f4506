package daemonset

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync        *worker.SyncMetrics
	podsCreated prometheus.Counter
	podsDeleted prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "daemonset")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "daemonset"}
	m := &metrics{
		sync:        s,
		podsCreated: mk.Counter("pods_created_total", "Daemon pods created."),
		podsDeleted: mk.Counter("pods_deleted_total", "Daemon pods deleted (failed, surplus, misscheduled or replaced by an update)."),
	}
	return m, worker.Register(reg, m.podsCreated, m.podsDeleted)
}
