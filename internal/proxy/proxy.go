package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/knftables"
)

// Defaults of Config.
const (
	DefaultTable      = "skiff-proxy"
	DefaultSyncPeriod = 30 * time.Second
)

var (
	defaultClusterCIDR = netip.MustParsePrefix("10.42.0.0/16")
	defaultServiceCIDR = netip.MustParsePrefix("10.43.0.0/16")
)

// minSyncInterval batches bursts of changes into one transaction.
const minSyncInterval = 100 * time.Millisecond

// Config configures a Proxier.
type Config struct {
	// Client is required; the Proxier watches Services and EndpointSlices with it.
	Client kubernetes.Interface
	// NodeName is required: endpoints on this node are "local" for the
	// Local traffic policies.
	NodeName string
	// NodeIPs are the addresses NodePorts answer on; at least one IPv4.
	NodeIPs []netip.Addr
	// ClusterCIDR is the pod range (default 10.42.0.0/16); clients
	// outside it are masqueraded.
	ClusterCIDR netip.Prefix
	// ServiceCIDR (default 10.43.0.0/16): forwarded traffic to an
	// unallocated address in it is dropped.
	ServiceCIDR netip.Prefix
	// Table is the nftables table (family ip), default "skiff-proxy".
	Table string
	// NodeLocalServiceIPs are ClusterIPs a node-local server owns (cluster
	// DNS); the proxy writes no rules for them.
	NodeLocalServiceIPs []netip.Addr
	// SyncPeriod is how often the whole table is rewritten, default 30s.
	SyncPeriod time.Duration
	Log        *slog.Logger
	// SyncHook, when set, is called from the sync loop after every sync
	// with whether it was full, how long it took and its error; it must
	// not block.
	SyncHook func(full bool, took time.Duration, err error)

	// nft replaces the real nftables in tests.
	nft knftables.Interface
	// conntrack replaces running the conntrack binary in tests.
	conntrack func(ctx context.Context, args ...string) error
}

// Proxier programs the service rules of one node.
type Proxier struct {
	cfg     Config
	nft     knftables.Interface
	builder builder
	log     *slog.Logger

	mu       sync.Mutex
	services map[types.NamespacedName]*service
	slices   map[types.NamespacedName]map[string]*slice // by slice name
	dirty    map[types.NamespacedName]bool
	kick     chan struct{}

	// written is what the table holds per Service; only the sync loop
	// touches it.
	written map[types.NamespacedName]*serviceRules
	// lastFull is how long the latest full sync took; only the sync
	// loop touches it.
	lastFull time.Duration
}

// New validates cfg, fills defaults and connects to nftables; it starts
// nothing.
func New(cfg Config) (*Proxier, error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	if cfg.nft == nil {
		nft, err := knftables.New(knftables.IPv4Family, cfg.Table)
		if err != nil {
			return nil, fmt.Errorf("nftables table %s: %w", cfg.Table, err)
		}
		cfg.nft = nft
	}
	if cfg.conntrack == nil {
		cfg.conntrack = runConntrack
	}
	nodeLocal := map[netip.Addr]bool{}
	for _, ip := range cfg.NodeLocalServiceIPs {
		nodeLocal[ip] = true
	}
	return &Proxier{
		cfg: cfg, nft: cfg.nft, log: cfg.Log,
		builder:  builder{clusterCIDR: cfg.ClusterCIDR, nodeName: cfg.NodeName, nodeLocal: nodeLocal},
		services: map[types.NamespacedName]*service{},
		slices:   map[types.NamespacedName]map[string]*slice{},
		dirty:    map[types.NamespacedName]bool{},
		kick:     make(chan struct{}, 1),
		written:  map[types.NamespacedName]*serviceRules{},
	}, nil
}

func (c *Config) complete() error {
	if c.Client == nil || c.NodeName == "" {
		return errors.New("proxy: Client and NodeName are required")
	}
	var v4 []netip.Addr
	for _, ip := range c.NodeIPs {
		if ip.Is4() {
			v4 = append(v4, ip)
		}
	}
	if len(v4) == 0 {
		return errors.New("proxy: NodeIPs needs an IPv4 address")
	}
	c.NodeIPs = v4
	if !c.ClusterCIDR.IsValid() {
		c.ClusterCIDR = defaultClusterCIDR
	}
	if !c.ServiceCIDR.IsValid() {
		c.ServiceCIDR = defaultServiceCIDR
	}
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.SyncPeriod <= 0 {
		c.SyncPeriod = DefaultSyncPeriod
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return nil
}

// Cleanup deletes the proxy's table; a missing table is not an error.
func Cleanup(ctx context.Context, table string) error {
	if table == "" {
		table = DefaultTable
	}
	nft, err := knftables.New(knftables.IPv4Family, table)
	if err != nil {
		return fmt.Errorf("nftables table %s: %w", table, err)
	}
	return deleteTable(ctx, nft)
}

func deleteTable(ctx context.Context, nft knftables.Interface) error {
	tx := nft.NewTransaction()
	tx.Delete(&knftables.Table{})
	if err := nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
		return fmt.Errorf("delete nftables table: %w", err)
	}
	return nil
}
