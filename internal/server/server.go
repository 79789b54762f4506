package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"

	"github.com/skiff-sh/skiff/internal/registry/certificates"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/apiserver"
	"github.com/skiff-sh/skiff/internal/auth/admission"
	"github.com/skiff-sh/skiff/internal/crd"
	"github.com/skiff-sh/skiff/internal/etcd"
	"github.com/skiff-sh/skiff/internal/openapi"
	"github.com/skiff-sh/skiff/internal/pki"
	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/registry/lifecycle"
	"github.com/skiff-sh/skiff/internal/registry/servicealloc"
	"github.com/skiff-sh/skiff/internal/storage"
)

// Server is a control plane. New validates and fills defaults; Run
// starts everything, blocks until ctx ends, and returns nil then, having
// waited for all it started.
type Server struct {
	cfg   Config
	log   *slog.Logger
	ready chan struct{}
	// set before ready is closed
	url    string
	bundle *pki.Bundle
}

// New returns a server for cfg; it starts nothing.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, log: log, ready: make(chan struct{})}, nil
}

// Ready is closed once the server answers /readyz.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// URL is the HTTPS address of the API; valid after Ready.
func (s *Server) URL() string { return s.url }

// AdminRESTConfig returns a client config with the admin certificate;
// valid after Ready.
func (s *Server) AdminRESTConfig() *rest.Config {
	return &rest.Config{
		Host: s.url,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: s.bundle.CACertPEM, CertData: s.bundle.AdminCertPEM, KeyData: s.bundle.AdminKeyPEM,
		},
	}
}

// Run starts the control plane in phases: etcd, certificates, storage and
// watch caches, the API over HTTPS, then bootstrap objects. The first
// error stops everything.
func (s *Server) Run(ctx context.Context) error {
	client, maint, closeEtcd, err := s.startEtcd(ctx)
	if err != nil {
		return err
	}
	defer closeEtcd()
	bundle, err := s.ensurePKI()
	if err != nil {
		return err
	}
	s.bundle = bundle
	reg := prometheus.NewRegistry()
	metrics := storage.NewMetrics(reg)
	stores, err := buildStores(client, s.cfg.WatchCacheSize, metrics, s.log)
	if err != nil {
		return err
	}
	if err := s.wire(client, stores); err != nil {
		return err
	}
	auth, err := s.newAuthentication(bundle, stores)
	if err != nil {
		return err
	}
	kubeletClient, err := bundle.KubeletClientCert(filepath.Join(s.cfg.DataDir, "tls"))
	if err != nil {
		return err
	}
	ln, err := s.listen(bundle)
	if err != nil {
		return err
	}
	defer ln.Close()
	s.url = "https://" + clientAddress(ln.Addr())
	if err := pki.WriteKubeconfig(s.cfg.WriteKubeconfig, s.url, bundle.CACertPEM, bundle.AdminCertPEM, bundle.AdminKeyPEM, "default"); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	runCaches(gctx, stores, s.cfg.BookmarkInterval, g.Go)
	comp := &storage.Compactor{Client: client, Interval: s.cfg.CompactionInterval, Maint: maint, Log: s.log}
	g.Go(func() error { return comp.Run(gctx) })
	if waitCaches(gctx, stores) != nil {
		// Cancelled: by the caller (nil) or by a failed cache (its error).
		return g.Wait()
	}
	flow := s.flowControl(stores, reg)
	g.Go(func() error { return flow.Run(gctx) })
	agg := s.newAggregator(stores, bundle)
	api := apiserver.New(apiserver.Config{
		Stores: stores, Authenticator: auth, Tokens: auth.tokens, Extra: s.withTestHandlers(auth.extraHandlers()),
		APIAudiences:      []string{auth.tokens.Issuer},
		Ready:             func(ctx context.Context) error { _, err := client.Get(ctx, "health"); return err },
		ExternalAddress:   net.JoinHostPort(s.advertise(), strconv.Itoa(s.cfg.SecurePort)),
		Log:               s.log,
		Metrics:           reg,
		OpenAPI:           openapi.New(registry.Builtin()),
		KubeletClientCert: &kubeletClient,
		FlowControl:       flow,
		Aggregator:        agg,
	})
	agg.SetLocal(api.LocalGroupVersions)
	// Custom resources are served before the API answers.
	crdStore := storeFor(stores, apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions"))
	crds := &crd.Controller{
		CRDs: crdStore, Client: client, CacheSize: s.cfg.WatchCacheSize, Admission: crdStore.Admission,
		Metrics: metrics, Registry: api, Builtin: registry.Builtin(), Log: s.log,
	}
	if err := crds.Sync(gctx); err != nil {
		s.log.Warn("custom resource definitions", "err", err)
	}
	g.Go(func() error { return crds.Run(gctx, 200*time.Millisecond) })
	srv := &http.Server{Handler: api, BaseContext: func(net.Listener) context.Context { return gctx }, HTTP2: &http.HTTP2Config{MaxConcurrentStreams: 1000}, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	g.Go(func() error { return serve(gctx, srv, ln) })
	if err := s.ensureSystemObjects(gctx, stores, bundle); err != nil {
		g.Go(func() error { return fmt.Errorf("system objects: %w", err) })
		return g.Wait()
	}
	g.Go(func() error { return s.reconcileEndpoints(gctx, client, stores) })
	g.Go(func() error { return agg.Run(gctx) })
	comps, err := s.components(reg)
	if err != nil {
		g.Go(func() error { return err })
		return g.Wait()
	}
	for _, run := range comps {
		g.Go(func() error { return run(gctx) })
	}
	s.log.Info("API server ready", "url", s.url, "kubeconfig", s.cfg.WriteKubeconfig)
	close(s.ready)
	return g.Wait()
}

func (s *Server) startEtcd(ctx context.Context) (*clientv3.Client, storage.Maintainer, func(), error) {
	if len(s.cfg.EtcdServers) > 0 {
		c, err := etcd.Connect(ctx, s.cfg.EtcdServers, etcd.TLS{CAFile: s.cfg.EtcdCAFile, CertFile: s.cfg.EtcdCertFile, KeyFile: s.cfg.EtcdKeyFile})
		if err != nil {
			return nil, nil, nil, err
		}
		return c, nil, func() { c.Close() }, nil
	}
	e, err := etcd.Start(ctx, etcd.Config{DataDir: filepath.Join(s.cfg.DataDir, "etcd"), ClientURL: s.cfg.EtcdClientURL, PeerURL: s.cfg.EtcdPeerURL}, s.log)
	if err != nil {
		return nil, nil, nil, err
	}
	return e.Client, e, e.Close, nil
}

func (s *Server) ensurePKI() (*pki.Bundle, error) {
	cidr := netip.MustParsePrefix(s.cfg.ServiceCIDR)
	first := cidr.Masked().Addr().Next()
	sans := append([]string{s.advertise()}, s.cfg.TLSSANs...)
	return pki.Ensure(pki.Config{Dir: filepath.Join(s.cfg.DataDir, "tls"), SANs: sans, ServiceIP: net.IP(first.AsSlice())})
}

// wire gives stores their admission, allocation and deletion rules.
func (s *Server) wire(client *clientv3.Client, stores []*generic.Store) error {
	nsStore := storeFor(stores, corev1.SchemeGroupVersion.WithResource("namespaces"))
	saStore := storeFor(stores, corev1.SchemeGroupVersion.WithResource("serviceaccounts"))
	adm := admission.Chain{
		admission.NamespaceLifecycle{Get: namespaceLookup(nsStore)},
		admission.ServiceAccount{Get: serviceAccountLookup(saStore)},
		admission.DefaultIngressClass{List: ingressClassLister(storeFor(stores, networkingv1.SchemeGroupVersion.WithResource("ingressclasses")))},
		admission.NewPriority(storeFor(stores, schedulingv1.SchemeGroupVersion.WithResource("priorityclasses"))),
		admission.DefaultTolerationSeconds{Seconds: 300},
		admission.NewRuntimeClass(storeFor(stores, nodev1.SchemeGroupVersion.WithResource("runtimeclasses"))),
		webhookPlugin(stores, s.log),
		policyPlugin(stores),
	}
	alloc, err := s.allocator(client)
	if err != nil {
		return err
	}
	for _, st := range stores {
		st.Admission = adm
		switch st.Resource.GroupVersionResource {
		case corev1.SchemeGroupVersion.WithResource("pods"):
			st.Hooks.GracePeriod = lifecycle.PodGracePeriod
			st.ReturnDeletedObject = true
		case corev1.SchemeGroupVersion.WithResource("namespaces"):
			st.Hooks.KeepOnDelete = lifecycle.NamespaceKeepOnDelete
		case corev1.SchemeGroupVersion.WithResource("services"):
			st.Hooks.BeforeCreate, st.Hooks.BeforeUpdate, st.Hooks.AfterDelete = alloc.BeforeCreate, alloc.BeforeUpdate, alloc.AfterDelete
		case certificatesv1.SchemeGroupVersion.WithResource("certificatesigningrequests"):
			st.Hooks.BeforeCreate = certificates.SetRequestor
		}
	}
	return nil
}

func (s *Server) allocator(client *clientv3.Client) (*servicealloc.Allocator, error) {
	cidr := netip.MustParsePrefix(s.cfg.ServiceCIDR)
	ips, err := servicealloc.IPRange(client, "/registry/ranges/serviceips/", cidr)
	if err != nil {
		return nil, err
	}
	first, last, _ := s.cfg.nodePorts()
	return &servicealloc.Allocator{
		IPs: ips, Ports: servicealloc.PortRange(client, "/registry/ranges/servicenodeports/", first, last),
		IPRangeText: cidr.String(), PortRangeText: s.cfg.NodePortRange,
	}, nil
}

func namespaceLookup(st *generic.Store) admission.NamespaceLookup {
	return func(ctx context.Context, name string) (*corev1.Namespace, error) {
		// The cache may lag a namespace created a moment ago; read etcd then.
		obj, err := st.Get(ctx, "", name, "0")
		if err != nil {
			obj, err = st.Get(ctx, "", name, "")
		}
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.Namespace), nil
	}
}

func ingressClassLister(st *generic.Store) admission.IngressClassLister {
	return func(ctx context.Context) ([]networkingv1.IngressClass, error) {
		obj, err := st.List(ctx, "", generic.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, err
		}
		return obj.(*networkingv1.IngressClassList).Items, nil
	}
}

func serviceAccountLookup(st *generic.Store) admission.ServiceAccountLookup {
	return func(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
		obj, err := st.Get(ctx, namespace, name, "0")
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.ServiceAccount), nil
	}
}

func waitCaches(ctx context.Context, stores []*generic.Store) error {
	for _, st := range stores {
		select {
		case <-st.Cache.Ready():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *Server) listen(bundle *pki.Bundle) (net.Listener, error) {
	tc := &tls.Config{
		Certificates: []tls.Certificate{bundle.ServingCert},
		ClientAuth:   tls.RequestClientCert,
		NextProtos:   []string{"h2", "http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}
	ln := s.cfg.Listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", net.JoinHostPort(s.cfg.BindAddress, strconv.Itoa(s.cfg.SecurePort)))
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
	}
	return tls.NewListener(ln, tc), nil
}

// clientAddress turns a listen address into one a local client can dial.
func clientAddress(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	srv.Close()
	<-errc
	return nil
}

// KubeconfigPath is where the admin kubeconfig is written.
func (s *Server) KubeconfigPath() string { return s.cfg.WriteKubeconfig }
