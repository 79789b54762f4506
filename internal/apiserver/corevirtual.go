package apiserver

import (
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
)

// coreVirtualAPIs are resources of the core group ("") served without
// a store of their own, keyed by resource. The core group also has
// stored resources, so they cannot be a virtualAPIs entry.
var coreVirtualAPIs = map[string]virtualAPI{
	"bindings": {[]registry.Resource{{
		GroupVersionResource: corev1.SchemeGroupVersion.WithResource("bindings"), Kind: "Binding", Singular: "binding", Namespaced: true,
	}}, metav1.Verbs{"create"}, (*Server).serveBindings},
	"componentstatuses": {[]registry.Resource{componentStatusResource}, metav1.Verbs{"get", "list"}, (*Server).serveComponentStatuses},
}

// virtualFor returns the virtual API serving a resource, if any.
func virtualFor(group, resource string) (virtualAPI, bool) {
	if group == "" {
		v, ok := coreVirtualAPIs[resource]
		return v, ok
	}
	v, ok := virtualAPIs[group]
	return v, ok
}

// serveBindings answers POST /api/v1/namespaces/NS/bindings, which binds
// the pod the Binding names exactly as pods/NAME/binding does.
func (s *Server) serveBindings(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	h, ok := s.handler(corev1.SchemeGroupVersion.WithResource("pods"))
	if ri.Verb != "create" || ri.Name != "" || ri.Namespace == "" || !ok {
		writeError(w, r, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "bindings"}, ri.Verb))
		return
	}
	if err := h.serveBinding(w, r, ri); err != nil {
		writeError(w, r, err)
	}
}
