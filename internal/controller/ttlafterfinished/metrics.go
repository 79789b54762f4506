package ttlafterfinished

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync    *worker.SyncMetrics
	deleted prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "ttlafterfinished")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "ttlafterfinished"}
	m := &metrics{sync: s, deleted: mk.Counter("jobs_deleted_total", "Finished jobs deleted after their TTL.")}
	return m, worker.Register(reg, m.deleted)
}
