package namespace

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// newMetrics registers skiff_namespace_syncs_total and
// skiff_namespace_sync_duration_seconds.
func newMetrics(reg prometheus.Registerer) (*worker.SyncMetrics, error) {
	return worker.NewSyncMetrics(reg, "namespace")
}
