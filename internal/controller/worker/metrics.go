package worker

import "github.com/prometheus/client_golang/prometheus"

// Namespace is the prefix of every skiff metric.
const Namespace = "skiff"

// Metrics makes a controller's own collectors, named
// skiff_<Subsystem>_<name>; register them with Register.
type Metrics struct {
	Subsystem string
}

// Counter returns a counter named skiff_<Subsystem>_<name>.
func (m Metrics) Counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: m.Subsystem, Name: name, Help: help,
	})
}

// CounterVec returns a counter named skiff_<Subsystem>_<name> with labels.
func (m Metrics) CounterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: m.Subsystem, Name: name, Help: help,
	}, labels)
}

// Gauge returns a gauge named skiff_<Subsystem>_<name>.
func (m Metrics) Gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Subsystem: m.Subsystem, Name: name, Help: help,
	})
}

// Histogram returns a histogram named skiff_<Subsystem>_<name>.
func (m Metrics) Histogram(name, help string, buckets []float64) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: m.Subsystem, Name: name, Help: help, Buckets: buckets,
	})
}
