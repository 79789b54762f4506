// Package apiserver serves the Kubernetes REST API over the generic
// registry: request parsing, authentication, authorization, content
// negotiation, the REST verbs, watch streams, subresources, discovery,
// health and metrics.
package apiserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/flowcontrol"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// Authorizer decides whether a user may perform a request.
type Authorizer interface {
	Authorize(ctx context.Context, u *authn.User, ri *RequestAttributes) (allowed bool, reason string, err error)
}

// RequestAttributes is what an authorizer decides on.
type RequestAttributes struct {
	Verb, Group, Version, Resource, Subresource, Namespace, Name string
	// Path is set for non-resource requests.
	Path string
}

// AllowAll authorizes every authenticated request; RBAC replaces it.
type AllowAll struct{}

// Authorize allows everything.
func (AllowAll) Authorize(context.Context, *authn.User, *RequestAttributes) (bool, string, error) {
	return true, "", nil
}

// Config wires the API server to its registry and auth.
type Config struct {
	Stores        []*generic.Store
	Authenticator authn.Authenticator
	Authorizer    Authorizer
	// Ready reports whether storage answers (for /readyz and /healthz).
	Ready func(ctx context.Context) error
	// Extra serves non-resource paths such as the OIDC discovery documents
	// and the token subresource; it may be nil.
	Extra map[string]http.Handler
	// Tokens issues serviceaccounts/token (TokenRequest); nil disables it.
	Tokens TokenIssuer
	// APIAudiences are the token audiences the server accepts
	// (--api-audiences); a TokenReview without audiences checks these.
	APIAudiences []string
	// ExternalAddress is host:port advertised in /api discovery.
	ExternalAddress string
	Log             *slog.Logger
	// Metrics is the registry /metrics serves; other components of the
	// server register their series there too. Nil means a new one.
	Metrics *prometheus.Registry
	// OpenAPI serves /openapi/v2, /openapi/v3 and below; nil answers 404.
	OpenAPI http.Handler
	// KubeletClientCert authenticates the server to kubelets for
	// pods/log, exec, attach and portforward; nil makes those answer 503.
	KubeletClientCert *tls.Certificate
	// FlowControl is API priority and fairness; nil admits every request.
	FlowControl *flowcontrol.Controller
	// Aggregator proxies extension API servers' group/versions; nil
	// serves only local ones.
	Aggregator Aggregator
}

// Server is the API server's HTTP handler.
type Server struct {
	cfg     Config
	metrics *metrics
	types   *typeConverter

	// mu guards the served resources, which custom resource definitions
	// add and remove while the server runs (see AddStores).
	mu        sync.RWMutex
	order     []*generic.Store
	stores    map[schema.GroupVersionResource]*generic.Store
	handlers  map[schema.GroupVersionResource]*resourceHandler
	discovery *discovery
	// kubelet carries requests to kubelets; nil without a client cert.
	kubelet      *http.Transport
	summaryCache *summaryCache
}

// New builds the handler; it starts nothing.
func New(cfg Config) *Server {
	if cfg.Authorizer == nil {
		cfg.Authorizer = AllowAll{}
	}
	s := &Server{
		cfg:      cfg,
		stores:   map[schema.GroupVersionResource]*generic.Store{},
		handlers: map[schema.GroupVersionResource]*resourceHandler{},
		metrics:  newMetrics(cfg.Metrics),
		// Kubelets' stats for metrics.k8s.io.
		summaryCache: newSummaryCache(),
	}
	if cfg.KubeletClientCert != nil {
		s.kubelet = kubeletTransport(cfg.KubeletClientCert)
	}
	s.types = &typeConverter{}
	for _, st := range cfg.Stores {
		s.types.resources = append(s.types.resources, st.Resource)
	}
	s.AddStores(cfg.Stores...)
	return s
}

// publicPaths answer without credentials, as Kubernetes' default RBAC
// lets system:unauthenticated read them.
var publicPaths = map[string]bool{"/healthz": true, "/livez": true, "/readyz": true, "/version": true}

// ServeHTTP authenticates, authorizes and routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := s.metrics.begin(w, r)
	defer rec.done()
	w = rec
	if publicPaths[strings.TrimSuffix(r.URL.Path, "/")] || strings.HasPrefix(r.URL.Path, "/healthz/") || strings.HasPrefix(r.URL.Path, "/readyz/") || strings.HasPrefix(r.URL.Path, "/livez/") {
		s.servePublic(w, r)
		return
	}
	u, err := s.authenticate(r)
	if err == nil {
		u, err = s.impersonate(r, u)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	ri, isResource := parseRequestInfo(r)
	if isResource {
		rec.resource(ri)
	}
	flow, ok := s.admitFlow(w, r, u, ri)
	if !ok {
		return
	}
	defer flow.Done()
	if err := s.authorize(r, u, ri); err != nil {
		writeError(w, r, err)
		return
	}
	ctx := generic.WithWarnings(authn.WithUser(r.Context(), u), func(msg string) { w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg)) })
	r = r.WithContext(ctx)
	if h, ok := s.routeRemote(r); ok {
		h.ServeHTTP(w, r)
		return
	}
	if !isResource {
		s.serveNonResource(w, r)
		return
	}
	s.serveResource(w, r, ri)
}

func (s *Server) authenticate(r *http.Request) (*authn.User, error) {
	if s.cfg.Authenticator == nil {
		return &authn.User{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}, nil
	}
	u, ok, err := s.cfg.Authenticator.AuthenticateRequest(r)
	if err != nil || !ok {
		if err != nil {
			s.cfg.Log.Debug("authentication failed", "err", err)
		}
		return nil, apierrors.NewUnauthorized("Unauthorized")
	}
	return u, nil
}

func (s *Server) authorize(r *http.Request, u *authn.User, ri *requestInfo) error {
	a := &RequestAttributes{Verb: strings.ToLower(r.Method), Path: r.URL.Path}
	if ri != nil {
		a = &RequestAttributes{Verb: ri.Verb, Group: ri.Group, Version: ri.Version, Resource: ri.Resource, Subresource: ri.Subresource, Namespace: ri.Namespace, Name: ri.Name}
	}
	ok, reason, err := s.cfg.Authorizer.Authorize(r.Context(), u, a)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if !ok {
		gr := schema.GroupResource{Group: a.Group, Resource: a.Resource}
		return apierrors.NewForbidden(gr, a.Name, errors.New(reason))
	}
	return nil
}

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	if v, ok := virtualFor(ri.Group, ri.Resource); ok {
		v.serve(s, w, r, ri)
		return
	}
	gvr := schema.GroupVersionResource{Group: ri.Group, Version: ri.Version, Resource: ri.Resource}
	h, ok := s.handler(gvr)
	if !ok || (ri.Namespace != "" && !h.store.Resource.Namespaced && ri.Resource != "namespaces") {
		// No route, as in Kubernetes: a plain 404, which clients report
		// as "the server could not find the requested resource".
		http.NotFound(w, r)
		return
	}
	preferJSON(r, h.store)
	if err := checkCustom(w, r, ri, h); err != nil {
		writeError(w, r, err)
		return
	}
	if ri.Subresource == "" {
		h.serve(w, r, ri)
		return
	}
	if err := s.serveSubresource(w, r, h, ri); err != nil {
		writeError(w, r, err)
	}
}

func (s *Server) serveSubresource(w http.ResponseWriter, r *http.Request, h *resourceHandler, ri *requestInfo) error {
	res := h.store.Resource
	if !res.HasSubresource(ri.Subresource) {
		return apierrors.NewNotFound(res.GroupResource(), ri.Name)
	}
	switch sub, verb := ri.Subresource, ri.Verb; {
	case (sub == "status" || sub == "approval") && (verb == "get" || verb == "update" || verb == "patch"):
		h.serve(w, r, ri)
		return nil
	case sub == "finalize" && verb == "update":
		return h.finalizeNamespace(w, r, ri)
	case sub == "scale" && (verb == "get" || verb == "update" || verb == "patch"):
		if c, ok := h.store.Strategy.(CustomStrategy); ok {
			return h.serveCustomScale(w, r, ri, c)
		}
		return h.serveScale(w, r, ri)
	case sub == "binding" && verb == "create":
		return h.serveBinding(w, r, ri)
	case sub == "eviction" && verb == "create":
		return s.serveEviction(w, r, h, ri)
	case sub == "log" && verb == "get":
		return s.servePodLog(w, r, h, ri)
	case (sub == "exec" || sub == "attach" || sub == "portforward") && (verb == "get" || verb == "create"):
		return s.servePodStream(w, r, h, ri)
	case sub == "proxy" && res.Resource == "nodes":
		return s.serveNodeProxy(w, r, h, ri)
	case sub == "token" && verb == "create" && s.cfg.Tokens != nil:
		return s.serveTokenRequest(w, r, ri)
	}
	return apierrors.NewMethodNotSupported(schema.GroupResource{Group: res.Group, Resource: res.Resource + "/" + ri.Subresource}, ri.Verb)
}

// finalizeNamespace replaces only spec.finalizers, as namespaces/finalize does.
func (h *resourceHandler) finalizeNamespace(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	wr, err := h.parseWrite(w, r, "UpdateOptions")
	if err != nil {
		return err
	}
	want := wr.obj.(*corev1.Namespace)
	return h.write(w, r, ri, wr.out, h.tracked(ri.Subresource, wr.manager, func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(h.store.GroupResource(), ri.Name)
		}
		ns := cur.(*corev1.Namespace).DeepCopy()
		ns.Spec.Finalizers = want.Spec.Finalizers
		ns.ResourceVersion = want.ResourceVersion
		return ns, nil
	}), wr.dry)
}
