package apiserver

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the API server's Prometheus series, named as Kubernetes
// names them so that existing dashboards work.
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	longRunning *prometheus.GaugeVec
}

// newMetrics registers the API server's series with reg (a new registry
// when nil).
func newMetrics(reg *prometheus.Registry) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_request_total",
			Help: "Counter of apiserver requests broken out for each verb, group, version, resource, subresource and HTTP response code.",
		}, []string{"verb", "group", "version", "resource", "subresource", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiserver_request_duration_seconds",
			Help:    "Response latency distribution in seconds for each verb, group, version, resource and subresource (watches excluded).",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"verb", "group", "version", "resource", "subresource"}),
		longRunning: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_longrunning_requests",
			Help: "Gauge of all active long-running apiserver requests (watches) broken out by verb, group, version and resource.",
		}, []string{"verb", "group", "version", "resource"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.longRunning,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Registry is where other components of the server add their series.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// recorder observes one request's status code and duration.
type recorder struct {
	http.ResponseWriter
	m     *metrics
	start time.Time
	code  int
	ri    *requestInfo
	watch bool
}

func (m *metrics) begin(w http.ResponseWriter, r *http.Request) *recorder {
	return &recorder{ResponseWriter: w, m: m, start: time.Now(), code: http.StatusOK}
}

func (rec *recorder) WriteHeader(code int) {
	rec.code = code
	rec.ResponseWriter.WriteHeader(code)
}

// Flush lets watch streams push each event.
func (rec *recorder) Flush() {
	if f, ok := rec.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection, which
// protocol upgrades (exec, attach, port-forward) hijack.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// resource labels the request; watches count as long-running until done.
func (rec *recorder) resource(ri *requestInfo) {
	rec.ri = ri
	if ri.Verb == "watch" {
		rec.watch = true
		rec.m.longRunning.WithLabelValues("WATCH", ri.Group, ri.Version, ri.Resource).Inc()
	}
}

func (rec *recorder) done() {
	verb, group, version, resource, sub := "", "", "", "", ""
	if ri := rec.ri; ri != nil {
		verb, group, version, resource, sub = kubeVerb(ri.Verb), ri.Group, ri.Version, ri.Resource, ri.Subresource
	}
	rec.m.requests.WithLabelValues(verb, group, version, resource, sub, strconv.Itoa(rec.code)).Inc()
	if rec.watch {
		rec.m.longRunning.WithLabelValues("WATCH", group, version, resource).Dec()
		return
	}
	rec.m.latency.WithLabelValues(verb, group, version, resource, sub).Observe(time.Since(rec.start).Seconds())
}

// kubeVerb maps verbs to the upper-case names Kubernetes' metrics use.
func kubeVerb(v string) string {
	switch v {
	case "get":
		return "GET"
	case "list":
		return "LIST"
	case "watch":
		return "WATCH"
	case "create":
		return "POST"
	case "update":
		return "PUT"
	case "patch":
		return "PATCH"
	case "delete", "deletecollection":
		return "DELETE"
	}
	return v
}
