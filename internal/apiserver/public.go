package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/version"
)

// KubernetesVersion is the Kubernetes API version skiff implements: the
// k8s.io/api release it is built on.
const KubernetesVersion = "v1.37.2"

// Version describes this build; main sets GitCommit and BuildDate.
var Version = version.Info{
	Major: "1", Minor: "37", GitVersion: KubernetesVersion + "+skiff",
	GitTreeState: "clean", GoVersion: runtime.Version(),
	Compiler: runtime.Compiler, Platform: runtime.GOOS + "/" + runtime.GOARCH,
}

func (s *Server) servePublic(w http.ResponseWriter, r *http.Request) {
	switch p := strings.TrimSuffix(r.URL.Path, "/"); {
	case p == "/version":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Version)
	default:
		s.serveHealth(w, r, strings.Split(strings.TrimPrefix(p, "/"), "/")[0])
	}
}

// serveHealth answers /healthz, /livez and /readyz: ping always, etcd for
// all but livez; ?verbose lists the checks as Kubernetes does.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request, kind string) {
	checks := []string{"ping"}
	var failed error
	if kind != "livez" && s.cfg.Ready != nil {
		checks = append(checks, "etcd")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		failed = s.cfg.Ready(ctx)
		cancel()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if failed != nil {
		w.WriteHeader(http.StatusInternalServerError)
	}
	_, verbose := r.URL.Query()["verbose"]
	if !verbose && failed == nil {
		fmt.Fprint(w, "ok")
		return
	}
	for _, c := range checks {
		if c == "etcd" && failed != nil {
			fmt.Fprintf(w, "[-]etcd failed: reason withheld\n")
			continue
		}
		fmt.Fprintf(w, "[+]%s ok\n", c)
	}
	if failed != nil {
		fmt.Fprintf(w, "%s check failed\n", kind)
		return
	}
	fmt.Fprintf(w, "%s check passed\n", kind)
}

func (s *Server) serveNonResource(w http.ResponseWriter, r *http.Request) {
	if h, ok := s.cfg.Extra[r.URL.Path]; ok {
		h.ServeHTTP(w, r)
		return
	}
	if s.cfg.OpenAPI != nil && (r.URL.Path == "/openapi/v2" || r.URL.Path == "/openapi/v3" || strings.HasPrefix(r.URL.Path, "/openapi/")) {
		s.cfg.OpenAPI.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == "/metrics" {
		s.metrics.handler().ServeHTTP(w, r)
		return
	}
	if s.currentDiscovery().serve(w, r) {
		return
	}
	http.NotFound(w, r)
}
