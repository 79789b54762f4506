package rootcacertpublisher

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

const subsystem = "root_ca_cert_publisher"

type metrics struct {
	sync    *worker.SyncMetrics
	created prometheus.Counter
	updated prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, subsystem)
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: subsystem}
	m := &metrics{
		sync:    s,
		created: mk.Counter("created_total", "kube-root-ca.crt ConfigMaps created."),
		updated: mk.Counter("updated_total", "kube-root-ca.crt ConfigMaps whose data was restored."),
	}
	return m, worker.Register(reg, m.created, m.updated)
}
