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
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "skiff", Subsystem: "statefulset", Name: name, Help: help})
	}
	m := &metrics{
		sync:        s,
		podsCreated: counter("pods_created_total", "StatefulSet pods created."),
		podsDeleted: counter("pods_deleted_total", "StatefulSet pods deleted (failed, scaled down or updated)."),
		pvcsCreated: counter("claims_created_total", "PersistentVolumeClaims created from volumeClaimTemplates."),
	}
	return m, worker.Register(reg, m.podsCreated, m.podsDeleted, m.pvcsCreated)
}
