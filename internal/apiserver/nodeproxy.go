package apiserver

import (
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// serveNodeProxy forwards /api/v1/nodes/NAME/proxy/PATH to PATH on the
// node's kubelet.
func (s *Server) serveNodeProxy(w http.ResponseWriter, r *http.Request, h *resourceHandler, ri *requestInfo) error {
	obj, err := h.store.Get(r.Context(), "", ri.Name, "")
	if err != nil {
		return err
	}
	_, path, _ := strings.Cut(r.URL.Path, "/nodes/"+ri.Name+"/proxy")
	if path == "" {
		path = "/"
	}
	target, err := s.nodeKubeletURL(obj.(*corev1.Node), path, r.URL.Query())
	if err != nil {
		return err
	}
	s.proxyToKubelet(w, r, target, ri.Name)
	return nil
}
