package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// componentStatusWarning is what Kubernetes warns every client of.
const componentStatusWarning = `299 - "v1 ComponentStatus is deprecated in v1.19+"`

var componentStatusResource = registry.Resource{
	GroupVersionResource: corev1.SchemeGroupVersion.WithResource("componentstatuses"),
	Kind:                 "ComponentStatus", Singular: "componentstatus", ShortNames: []string{"cs"},
}

// leaderComponents are the components a ComponentStatus reports besides
// etcd, in Kubernetes' order, with the leader Lease each holds in
// kube-system.
var leaderComponents = []struct{ name, lease string }{
	{"scheduler", "kube-scheduler"},
	{"controller-manager", "kube-controller-manager"},
}

// serveComponentStatuses answers get and list of componentstatuses,
// computed on each request as Kubernetes does. Kubernetes probes the
// components' /healthz ports on its own host; skiff's components may run
// anywhere, so a component is healthy while its leader Lease is held and
// renewed, and etcd-0 while storage answers.
func (s *Server) serveComponentStatuses(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	w.Header().Add("Warning", componentStatusWarning)
	if ri.Verb != "get" && ri.Verb != "list" {
		writeError(w, r, apierrors.NewMethodNotSupported(componentStatusResource.GroupResource(), ri.Verb))
		return
	}
	out, err := negotiate(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	statuses := s.componentStatuses(r.Context())
	if ri.Verb == "list" {
		list := &corev1.ComponentStatusList{Items: statuses}
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ComponentStatusList"))
		err = respond(w, r, out, http.StatusOK, &generic.Store{Resource: componentStatusResource}, list)
	} else {
		err = apierrors.NewNotFound(componentStatusResource.GroupResource(), ri.Name)
		for i := range statuses {
			if statuses[i].Name == ri.Name {
				err = respond(w, r, out, http.StatusOK, &generic.Store{Resource: componentStatusResource}, &statuses[i])
			}
		}
	}
	if err != nil {
		writeError(w, r, err)
	}
}

func (s *Server) componentStatuses(ctx context.Context) []corev1.ComponentStatus {
	var out []corev1.ComponentStatus
	for _, c := range leaderComponents {
		out = append(out, componentStatus(c.name, s.leaseHealth(ctx, c.lease)))
	}
	var etcdErr error
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		etcdErr = s.cfg.Ready(ctx)
		cancel()
	}
	return append(out, componentStatus("etcd-0", etcdErr))
}

// leaseHealth is nil while the named leader Lease is held and renewed
// within its duration.
func (s *Server) leaseHealth(ctx context.Context, name string) error {
	h, ok := s.handler(schema.GroupVersionResource{Group: coordinationv1.GroupName, Version: "v1", Resource: "leases"})
	if !ok {
		return fmt.Errorf("no leases served")
	}
	obj, err := h.store.Get(ctx, metav1.NamespaceSystem, name, "0")
	if err != nil {
		return fmt.Errorf("no leader: %w", err)
	}
	spec := obj.(*coordinationv1.Lease).Spec
	if spec.HolderIdentity == nil || *spec.HolderIdentity == "" || spec.RenewTime == nil || spec.LeaseDurationSeconds == nil {
		return fmt.Errorf("no leader holds lease %s/%s", metav1.NamespaceSystem, name)
	}
	if expiry := spec.RenewTime.Add(time.Duration(*spec.LeaseDurationSeconds) * time.Second); time.Now().After(expiry) {
		return fmt.Errorf("leader %s last renewed lease %s/%s at %s", *spec.HolderIdentity, metav1.NamespaceSystem, name, spec.RenewTime.UTC().Format(time.RFC3339))
	}
	return nil
}

// componentStatus is Kubernetes' shape: a Healthy condition with
// message "ok", or False with the error.
func componentStatus(name string, err error) corev1.ComponentStatus {
	cond := corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionTrue, Message: "ok"}
	if err != nil {
		cond = corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionFalse, Error: err.Error()}
	}
	cs := corev1.ComponentStatus{ObjectMeta: metav1.ObjectMeta{Name: name}, Conditions: []corev1.ComponentCondition{cond}}
	cs.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ComponentStatus"))
	return cs
}
