package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 10 * time.Second
	// debounce coalesces bursts of cache events into one table rebuild.
	debounce = 100 * time.Millisecond
)

// Config configures a Router.
type Config struct {
	// Client is required; the Router runs its own informers on it.
	Client kubernetes.Interface
	// HTTPAddr is the plain HTTP listen address, ":80" when empty.
	HTTPAddr string
	// HTTPSAddr is the TLS listen address, ":443" when empty.
	HTTPSAddr string
	// Log receives the Router's logs; nil discards them.
	Log *slog.Logger
}

// Router serves the Ingresses of class "skiff" on one node.
type Router struct {
	cfg      Config
	log      *slog.Logger
	store    *store
	builder  builder
	proxy    *proxy
	fallback *tls.Certificate
	table    atomic.Pointer[table]
	dirty    chan struct{}
	ready    chan struct{}
	// classEnsured is only touched by sync, which never runs concurrently.
	classEnsured bool

	mu                  sync.Mutex
	httpAddr, httpsAddr net.Addr
}

// New validates cfg, fills defaults and prepares the informers and the
// fallback certificate. It starts nothing.
func New(cfg Config) (*Router, error) {
	if cfg.Client == nil {
		return nil, errors.New("ingress: Config.Client is required")
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = ":80"
	}
	if cfg.HTTPSAddr == "" {
		cfg.HTTPSAddr = ":443"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	fallback, err := selfSigned(time.Now())
	if err != nil {
		return nil, err
	}
	r := &Router{
		cfg:      cfg,
		log:      cfg.Log,
		proxy:    newProxy(cfg.Log),
		fallback: fallback,
		dirty:    make(chan struct{}, 1),
		ready:    make(chan struct{}),
	}
	r.table.Store(newTable())
	if r.store, err = newStore(cfg.Client, r.markDirty); err != nil {
		return nil, fmt.Errorf("ingress informers: %w", err)
	}
	r.builder = builder{
		resolver: resolver{services: r.store.services, slices: r.store.slices},
		secrets:  r.store.secrets,
		certs:    &certCache{},
		log:      cfg.Log,
	}
	return r, nil
}

// Ready is closed once the caches have synced, the first table is built
// and both listeners serve.
func (r *Router) Ready() <-chan struct{} { return r.ready }

// Addrs returns the bound HTTP and HTTPS addresses; nil before Run binds.
func (r *Router) Addrs() (http, https net.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.httpAddr, r.httpsAddr
}

// Run binds both listeners, ensures the IngressClass, syncs the caches and
// serves until ctx ends. It then shuts the servers down gracefully, waits
// for every goroutine it started and returns nil. It returns an error when
// a listener cannot be bound or a server fails.
func (r *Router) Run(ctx context.Context) error {
	httpLn, httpsLn, err := r.listen()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	r.store.start(ctx.Done())
	defer func() {
		cancel() // the informers stop on ctx, also when a server failed
		r.store.shutdown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), r.store.synced...) {
		httpLn.Close()
		httpsLn.Close()
		return nil
	}
	if err := r.sync(ctx); err != nil {
		r.log.Warn("ingress sync", "err", err)
		r.markDirty() // the loop retries, backing off if it fails again
	}
	g, gctx := errgroup.WithContext(ctx)
	plain, secure := r.servers()
	g.Go(func() error { return serveErr(plain.Serve(httpLn)) })
	g.Go(func() error { return serveErr(secure.ServeTLS(httpsLn, "", "")) })
	g.Go(func() error { r.loop(gctx); return nil })
	g.Go(func() error {
		<-gctx.Done()
		shutdown(plain, secure)
		return nil
	})
	close(r.ready)
	return g.Wait()
}

func (r *Router) listen() (httpLn, httpsLn net.Listener, err error) {
	if httpLn, err = net.Listen("tcp", r.cfg.HTTPAddr); err != nil {
		return nil, nil, fmt.Errorf("ingress listen http: %w", err)
	}
	if httpsLn, err = net.Listen("tcp", r.cfg.HTTPSAddr); err != nil {
		httpLn.Close()
		return nil, nil, fmt.Errorf("ingress listen https: %w", err)
	}
	r.mu.Lock()
	r.httpAddr, r.httpsAddr = httpLn.Addr(), httpsLn.Addr()
	r.mu.Unlock()
	return httpLn, httpsLn, nil
}

// servers returns the HTTP server and the TLS server, which also speaks
// HTTP/2 through ALPN.
func (r *Router) servers() (plain, secure *http.Server) {
	errLog := slog.NewLogLogger(r.log.Handler(), slog.LevelDebug)
	mk := func() *http.Server {
		return &http.Server{
			Handler:           http.HandlerFunc(r.serveHTTP),
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       idleTimeout,
			ErrorLog:          errLog,
		}
	}
	plain, secure = mk(), mk()
	secure.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.getCertificate}
	return plain, secure
}

func (r *Router) serveHTTP(w http.ResponseWriter, req *http.Request) {
	b := r.table.Load().lookup(req.Host, req.URL.Path)
	switch {
	case b == nil:
		http.NotFound(w, req)
	case len(b.targets) == 0:
		http.Error(w, "503 no endpoints available", http.StatusServiceUnavailable)
	default:
		r.proxy.serve(w, req, b)
	}
}

func (r *Router) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := r.table.Load().certificate(hello.ServerName); c != nil {
		return c, nil
	}
	return r.fallback, nil
}

// shutdown lets in-flight requests finish for up to shutdownTimeout.
func shutdown(servers ...*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if s.Shutdown(ctx) != nil {
			s.Close()
		}
	}
}

func serveErr(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
