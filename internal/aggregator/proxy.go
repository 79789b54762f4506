package aggregator

import (
	"net/http"
	"net/http/httputil"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

// proxy carries a request to r's extension server as the requesting user
// (front-proxy headers), streaming (watch) and upgrades (exec) included.
// An unavailable server or one without a ready endpoint gives 503, as in
// Kubernetes.
func (a *Aggregator) proxy(w http.ResponseWriter, req *http.Request, r *remote) {
	u := authn.UserFrom(req.Context())
	if !r.available || u == nil {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	endpoint, err := a.resolve(req.Context(), r.service.Spec.Service)
	if err != nil {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "https", endpoint, ""
			setIdentity(pr.Out.Header, u)
		},
		Transport:     r.transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			a.cfg.Log.Debug("proxy to extension API server", "apiservice", r.service.Name, "err", err)
			http.Error(w, "Error trying to reach service: "+err.Error(), http.StatusServiceUnavailable)
		},
	}
	rp.ServeHTTP(w, req)
}
