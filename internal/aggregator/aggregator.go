// Package aggregator is skiff's aggregation layer: it keeps one Local
// APIService per group/version the server serves (Kubernetes' autoregister
// and crdregistration controllers), checks the extension API servers
// other APIServices name (the availability controller) and proxies their
// requests to them with the front-proxy identity.
package aggregator

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/apiserver"
	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// Config wires the aggregator to the stores it reads and writes.
type Config struct {
	APIServices, Services, EndpointSlices *generic.Store
	// Local returns the group/versions served here: built-in (and
	// virtual) ones, and those of custom resource definitions.
	Local func() (builtin, custom []schema.GroupVersion)
	// ProxyClientCert is the front-proxy client certificate.
	ProxyClientCert tls.Certificate
	// ProbeInterval is how often an extension server is checked again
	// when nothing about it changed; default 10s.
	ProbeInterval time.Duration
	Log           *slog.Logger
}

// Aggregator implements apiserver.Aggregator. New starts nothing; Run
// keeps APIServices and their availability until ctx ends.
type Aggregator struct {
	cfg Config

	mu      sync.RWMutex
	remotes map[schema.GroupVersion]*remote
	gen     uint64
}

// remote is what the proxy and discovery know of one extension server.
type remote struct {
	service   apiregv1.APIService
	transport *http.Transport
	available bool
	rv        apiserver.RemoteVersion
	lastProbe time.Time
	endpoint  string
	condition apiregv1.APIServiceCondition
}

var _ apiserver.Aggregator = (*Aggregator)(nil)

// New returns an aggregator for cfg.
func New(cfg Config) *Aggregator {
	if cfg.ProbeInterval == 0 {
		cfg.ProbeInterval = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Aggregator{cfg: cfg, remotes: map[schema.GroupVersion]*remote{}}
}

// tick is how often APIServices, Services and EndpointSlices are read
// again (from the watch caches) to notice changes.
const tick = time.Second

// Run registers the local APIServices, then checks every APIService each
// tick until ctx ends; it returns nil then.
func (a *Aggregator) Run(ctx context.Context) error {
	first := true
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if err := a.register(ctx, first); err != nil && ctx.Err() == nil {
			a.cfg.Log.Warn("register local APIServices", "err", err)
		} else {
			first = false
		}
		if err := a.checkAll(ctx); err != nil && ctx.Err() == nil {
			a.cfg.Log.Warn("check APIServices", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// SetLocal sets Config.Local; call it before Run.
func (a *Aggregator) SetLocal(local func() (builtin, custom []schema.GroupVersion)) {
	a.cfg.Local = local
}

// Route implements apiserver.Aggregator.
func (a *Aggregator) Route(gv schema.GroupVersion) (http.Handler, bool) {
	a.mu.RLock()
	r := a.remotes[gv]
	a.mu.RUnlock()
	if r == nil {
		return nil, false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { a.proxy(w, req, r) }), true
}

// Remote implements apiserver.Aggregator.
func (a *Aggregator) Remote() (uint64, []apiserver.RemoteVersion) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]apiserver.RemoteVersion, 0, len(a.remotes))
	for _, r := range a.remotes {
		out = append(out, r.rv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return a.gen, out
}
