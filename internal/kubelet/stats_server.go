package kubelet

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveSummary answers GET /stats/summary, the Summary API;
// ?only_cpu_and_memory=true leaves out filesystems.
func (p *statsProvider) serveSummary(w http.ResponseWriter, r *http.Request) {
	s, err := p.summary(r.Context(), r.URL.Query().Get("only_cpu_and_memory") == "true")
	if err != nil {
		http.Error(w, "stats: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}

// serveResourceMetrics answers GET /metrics/resource in the Prometheus
// text format; a failed collection still answers, with scrape_error 1.
func (p *statsProvider) serveResourceMetrics(w http.ResponseWriter, r *http.Request) {
	s, err := p.summary(r.Context(), true)
	if err != nil {
		p.k.log.Debug("resource metrics", "err", err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(resourceCollector{s: s})
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
