package flowcontrol

import "github.com/prometheus/client_golang/prometheus"

// metrics are Kubernetes' apiserver_flowcontrol_* series.
type metrics struct {
	executing  *prometheus.GaugeVec
	inQueue    *prometheus.GaugeVec
	rejected   *prometheus.CounterVec
	dispatched *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"priority_level", "flow_schema"}
	m := &metrics{
		executing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_flowcontrol_current_executing_requests",
			Help: "Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem",
		}, labels),
		inQueue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_flowcontrol_current_inqueue_requests",
			Help: "Number of requests currently pending in queues of the API Priority and Fairness subsystem",
		}, labels),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_flowcontrol_rejected_requests_total",
			Help: "Number of requests rejected by API Priority and Fairness subsystem",
		}, append(labels, "reason")),
		dispatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_flowcontrol_dispatched_requests_total",
			Help: "Number of requests executed by API Priority and Fairness subsystem",
		}, labels),
	}
	if reg != nil {
		reg.MustRegister(m.executing, m.inQueue, m.rejected, m.dispatched)
	}
	return m
}

// series are one schema's series, resolved once per configuration so the
// request path does no label lookups.
type series struct {
	executing, inQueue prometheus.Gauge
	dispatched         prometheus.Counter
}

func (m *metrics) series(level, schema string) series {
	return series{
		executing:  m.executing.WithLabelValues(level, schema),
		inQueue:    m.inQueue.WithLabelValues(level, schema),
		dispatched: m.dispatched.WithLabelValues(level, schema),
	}
}
