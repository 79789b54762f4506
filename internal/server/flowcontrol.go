package server

import (
	"maps"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	fc "k8s.io/api/flowcontrol/v1"

	"github.com/skiff-sh/skiff/internal/flowcontrol"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// flowControl builds API priority and fairness over the stored
// configuration, with the seats of both in-flight limits.
func (s *Server) flowControl(stores []*generic.Store, reg prometheus.Registerer) *flowcontrol.Controller {
	return flowcontrol.New(flowcontrol.Config{
		FlowSchemas:    storeFor(stores, fc.SchemeGroupVersion.WithResource("flowschemas")),
		PriorityLevels: storeFor(stores, fc.SchemeGroupVersion.WithResource("prioritylevelconfigurations")),
		ServerSeats:    s.cfg.MaxRequestsInflight + s.cfg.MaxMutatingRequestsInflight,
		Metrics:        reg,
		Log:            s.log.With("component", "flowcontrol"),
	})
}

// withTestHandlers adds Config.TestHandlers to the extra paths.
func (s *Server) withTestHandlers(extra map[string]http.Handler) map[string]http.Handler {
	maps.Copy(extra, s.cfg.TestHandlers)
	return extra
}
