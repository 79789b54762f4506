package endpointslice

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync   *worker.SyncMetrics
	writes *prometheus.CounterVec
}

// newMetrics registers skiff_endpointslice_syncs_total,
// …_sync_duration_seconds and …_changes_total{operation}.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "endpointslice")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "endpointslice"}
	m := &metrics{sync: s, writes: mk.CounterVec("changes_total", "EndpointSlices written, by operation (create, update, delete).", "operation")}
	return m, worker.Register(reg, m.writes)
}
