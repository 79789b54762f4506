package storage

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the etcd latency series, named as Kubernetes names them.
// A nil *Metrics records nothing.
type Metrics struct {
	latency *prometheus.HistogramVec
}

// NewMetrics registers the storage series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "etcd_request_duration_seconds",
		Help:    "Etcd request latency in seconds for each operation and object type.",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"operation", "type"})}
	reg.MustRegister(m.latency)
	return m
}

// observe records one etcd request of op on resource that began at start;
// call it deferred.
func (m *Metrics) observe(op, resource string, start time.Time) {
	if m != nil {
		m.latency.WithLabelValues(op, resource).Observe(time.Since(start).Seconds())
	}
}
