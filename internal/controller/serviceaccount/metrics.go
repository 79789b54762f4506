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
	m := &metrics{sync: s, created: prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "skiff", Subsystem: "serviceaccount", Name: "created_total",
		Help: "Default ServiceAccounts created.",
	})}
	return m, worker.Register(reg, m.created)
}
