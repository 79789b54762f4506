package statefulset

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync        *worker.SyncMetrics
	podsCreated prometheus.Counter
	podsDeleted prometheus.Counter
	pvcsCreated prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "statefulset")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "statefulset"}
	m := &metrics{
		sync:        s,
		podsCreated: mk.Counter("pods_created_total", "StatefulSet pods created."),
		podsDeleted: mk.Counter("pods_deleted_total", "StatefulSet pods deleted (failed, scaled down or updated)."),
		pvcsCreated: mk.Counter("claims_created_total", "PersistentVolumeClaims created from volumeClaimTemplates."),
	}
	return m, worker.Register(reg, m.podsCreated, m.podsDeleted, m.pvcsCreated)
}
