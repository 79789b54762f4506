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
	m := &metrics{
		sync: s,
		podsCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "daemonset", Name: "pods_created_total",
			Help: "Daemon pods created.",
		}),
		podsDeleted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Subsystem: "daemonset", Name: "pods_deleted_total",
			Help: "Daemon pods deleted (failed, surplus, misscheduled or replaced by an update).",
		}),
	}
	return m, worker.Register(reg, m.podsCreated, m.podsDeleted)
}
