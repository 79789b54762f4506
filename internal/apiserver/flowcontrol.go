package apiserver

import (
	"net/http"
	"strings"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/flowcontrol"
)

// Headers naming a request's flow schema and priority level, as
// Kubernetes sets them on every classified response.
const (
	headerFlowSchemaUID    = "X-Kubernetes-PF-FlowSchema-UID"
	headerPriorityLevelUID = "X-Kubernetes-PF-PriorityLevel-UID"
)

// admitFlow passes the request through API priority and fairness. false
// means it was rejected and answered 429; otherwise the caller calls
// Done on the outcome when the request ends.
func (s *Server) admitFlow(w http.ResponseWriter, r *http.Request, u *authn.User, ri *requestInfo) (flowcontrol.Outcome, bool) {
	if s.cfg.FlowControl == nil {
		return flowcontrol.Outcome{}, true
	}
	d := flowcontrol.Digest{User: u.Name, Groups: u.Groups, Verb: strings.ToLower(r.Method), Path: r.URL.Path}
	if ri != nil {
		d.IsResource, d.Verb, d.APIGroup, d.Namespace, d.Resource = true, ri.Verb, ri.Group, ri.Namespace, ri.Resource
		if ri.Subresource != "" {
			d.Resource += "/" + ri.Subresource
		}
		d.LongRunning = longRunning(r, ri)
	}
	o, rejected := s.cfg.FlowControl.Begin(r.Context(), &d)
	if o.FlowSchemaUID != "" {
		w.Header().Set(headerFlowSchemaUID, string(o.FlowSchemaUID))
		w.Header().Set(headerPriorityLevelUID, string(o.PriorityLevelUID))
	}
	if rejected {
		// Kubernetes answers in plain text, not with a Status.
		w.Header().Set("Retry-After", "1")
		http.Error(w, "Too many requests, please try again later.", http.StatusTooManyRequests)
		return o, false
	}
	return o, true
}

// longRunning requests hold no seat: watches, streams, proxies and
// followed logs, as Kubernetes' long-running request check.
func longRunning(r *http.Request, ri *requestInfo) bool {
	switch ri.Subresource {
	case "exec", "attach", "portforward", "proxy":
		return true
	case "log":
		return r.URL.Query().Get("follow") == "true"
	}
	return ri.Verb == "watch"
}
