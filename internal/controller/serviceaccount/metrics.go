package serviceaccount

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync    *worker.SyncMetrics
	created prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "serviceaccount")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "serviceaccount"}
	m := &metrics{sync: s, created: mk.Counter("created_total", "Default ServiceAccounts created.")}
	return m, worker.Register(reg, m.created)
}
