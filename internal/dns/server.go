package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Config configures the cluster DNS server.
type Config struct {
	// Client watches Services and EndpointSlices. Required.
	Client kubernetes.Interface
	// Addrs are the "ip:port" listen addresses, each served over UDP and
	// TCP. Required.
	Addrs []string
	// ClusterDomain is the zone answered from the cluster; default "cluster.local".
	ClusterDomain string
	// Upstreams are "ip:port" resolvers for every other name, tried in
	// order; default the nameservers of ResolvConf on port 53.
	Upstreams []string
	// ResolvConf is read for Upstreams when they are not set; default /etc/resolv.conf.
	ResolvConf string
	// CacheTTL caps how long an upstream answer is cached; default 30s.
	CacheTTL time.Duration
	// Log receives errors and debug events; default slog.Default().
	Log *slog.Logger
}

// Server is the cluster DNS of one node.
type Server struct {
	cfg   Config
	zone  *zone
	fwd   *forwarder
	ready chan struct{}
}

// New validates cfg, fills defaults and reads ResolvConf when Upstreams
// are not given. It starts nothing.
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil {
		return nil, errors.New("dns: Client is required")
	}
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("dns: Addrs is required")
	}
	var dnsIPs []netip.Addr
	for _, a := range cfg.Addrs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return nil, fmt.Errorf("dns: listen address %q: %w", a, err)
		}
		if !ap.Addr().IsUnspecified() {
			dnsIPs = append(dnsIPs, ap.Addr().Unmap())
		}
	}
	if cfg.ClusterDomain == "" {
		cfg.ClusterDomain = "cluster.local"
	}
	if cfg.ResolvConf == "" {
		cfg.ResolvConf = "/etc/resolv.conf"
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	upstreams, err := upstreamsOf(cfg)
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:   cfg,
		zone:  &zone{domain: fqdn(strings.Trim(cfg.ClusterDomain, ".")), store: newStore(), dnsIPs: dnsIPs},
		fwd:   newForwarder(upstreams, newCache(cfg.CacheTTL), cfg.Log),
		ready: make(chan struct{}),
	}, nil
}

// upstreamsOf returns the upstream addresses with ports, leaving out the
// server's own listen addresses so it never forwards to itself.
func upstreamsOf(cfg Config) ([]string, error) {
	ups := cfg.Upstreams
	if len(ups) == 0 {
		f, err := os.Open(cfg.ResolvConf)
		if err != nil {
			return nil, fmt.Errorf("dns: upstreams: %w", err)
		}
		defer f.Close()
		host, err := ParseResolvConf(f)
		if err != nil {
			return nil, fmt.Errorf("dns: upstreams from %s: %w", cfg.ResolvConf, err)
		}
		ups = host.Servers
	}
	var out []string
	for _, u := range ups {
		if a, err := netip.ParseAddr(u); err == nil {
			u = netip.AddrPortFrom(a, 53).String()
		}
		if _, err := netip.ParseAddrPort(u); err != nil {
			return nil, fmt.Errorf("dns: upstream %q: %w", u, err)
		}
		if !slices.Contains(cfg.Addrs, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// Ready is closed once the informers have synced and every address is
// bound and served.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run binds every address over UDP and TCP, syncs the informers and
// serves until ctx ends. It returns an error if a bind fails, nil when
// ctx is cancelled, and only after every goroutine it started has ended.
func (s *Server) Run(ctx context.Context) error {
	servers, err := s.bind()
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(s.cfg.Client, 0)
	defer factory.Shutdown()
	synced, err := s.watch(factory)
	if err != nil {
		closeAll(servers)
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		closeAll(servers) // only ctx ends the wait early
		return nil
	}
	return s.serve(ctx, servers)
}

// serve runs the bound servers until ctx ends or one of them fails.
func (s *Server) serve(ctx context.Context, servers []*dns.Server) error {
	h := &handler{zone: s.zone, fwd: s.fwd, ctx: ctx}
	g, gctx := errgroup.WithContext(ctx)
	var started sync.WaitGroup
	started.Add(len(servers))
	for _, srv := range servers {
		// Done once, when serving starts or, failing that, when it ends.
		done := sync.OnceFunc(started.Done)
		srv.Handler = h
		srv.NotifyStartedFunc = done
		g.Go(func() error {
			defer done()
			return srv.ActivateAndServe()
		})
	}
	started.Wait()
	if gctx.Err() == nil {
		close(s.ready)
		s.cfg.Log.Info("cluster DNS serving", "addrs", s.cfg.Addrs, "domain", s.zone.domain, "upstreams", s.fwd.upstreams)
	}
	<-gctx.Done()
	for _, srv := range servers {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.ShutdownContext(sctx)
		cancel()
	}
	if err := g.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("dns: serve: %w", err)
	}
	return nil
}

// bind opens a UDP and a TCP socket on every address.
func (s *Server) bind() ([]*dns.Server, error) {
	var servers []*dns.Server
	for _, addr := range s.cfg.Addrs {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			closeAll(servers)
			return nil, fmt.Errorf("dns: listen udp %s: %w", addr, err)
		}
		servers = append(servers, &dns.Server{PacketConn: pc, UDPSize: dns.DefaultMsgSize})
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll(servers)
			return nil, fmt.Errorf("dns: listen tcp %s: %w", addr, err)
		}
		servers = append(servers, &dns.Server{Listener: ln})
	}
	return servers, nil
}

func closeAll(servers []*dns.Server) {
	for _, srv := range servers {
		if srv.PacketConn != nil {
			srv.PacketConn.Close()
		}
		if srv.Listener != nil {
			srv.Listener.Close()
		}
	}
}
