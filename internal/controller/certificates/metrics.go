package certificates

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

type metrics struct {
	sync             *worker.SyncMetrics
	signed, rejected prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	s, err := worker.NewSyncMetrics(reg, "csrsigning")
	if err != nil {
		return nil, err
	}
	mk := worker.Metrics{Subsystem: "csrsigning"}
	m := &metrics{
		sync:     s,
		signed:   mk.Counter("certificates_issued_total", "Approved requests given a certificate."),
		rejected: mk.Counter("requests_failed_total", "Approved requests marked Failed for breaking their signer's rules."),
	}
	return m, worker.Register(reg, m.signed, m.rejected)
}
