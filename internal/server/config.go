// Package server composes a skiff control plane: etcd (embedded or
// external), certificates, the API server with its registry and watch
// caches, and the background work that keeps storage healthy.
package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/network"
)

// Config is everything `skiff server` can be told; zero values take the
// documented defaults.
type Config struct {
	// DataDir holds etcd's data, certificates and keys. Default /var/lib/skiff.
	DataDir string
	// BindAddress and SecurePort are where HTTPS is served. Defaults
	// 0.0.0.0 and 6443.
	BindAddress string
	SecurePort  int
	// Listener, when set, is used instead of BindAddress:SecurePort (tests).
	Listener net.Listener
	// AdvertiseAddress is the IP other nodes and pods reach this server
	// at, published as the kubernetes Service's endpoint. Default: the
	// first non-loopback IPv4 address.
	AdvertiseAddress string
	// TLSSANs are extra names and addresses for the serving certificate.
	TLSSANs []string
	// EtcdServers selects an external etcd cluster instead of the embedded one.
	EtcdServers                           []string
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	// EtcdClientURL and EtcdPeerURL are where the embedded member listens.
	EtcdClientURL, EtcdPeerURL string
	// TokenAuthFile is a static token CSV file, as --token-auth-file.
	TokenAuthFile string
	// WriteKubeconfig is where the admin kubeconfig goes. Default
	// <DataDir>/admin.kubeconfig.
	WriteKubeconfig string
	// ServiceCIDR is the ClusterIP range. Default 10.43.0.0/16.
	ServiceCIDR string
	// ClusterDNS is the kube-dns Service's ClusterIP, which every node
	// agent serves DNS on. Default: the tenth address of ServiceCIDR.
	ClusterDNS string
	// ClusterDomain is the DNS suffix of Services. Default cluster.local.
	ClusterDomain string
	// NodePortRange is "first-last". Default 30000-32767.
	NodePortRange string
	// CompactionInterval is how often etcd history is compacted. Default 5m.
	CompactionInterval time.Duration
	// WatchCacheSize is the number of recent events kept per resource.
	// Default 1000.
	WatchCacheSize int
	// BookmarkInterval is how often watchers get a BOOKMARK. Default 1m.
	BookmarkInterval time.Duration
	// EndpointReconcileInterval is how often the kubernetes Service's
	// endpoints are refreshed. Default 10s.
	EndpointReconcileInterval time.Duration
	// APIServiceProbeInterval is how often extension API servers are
	// checked again; 0 means the aggregator's default (10s).
	APIServiceProbeInterval time.Duration
	// DisableControllerManager leaves the controllers to another process.
	DisableControllerManager bool
	// DisableScheduler leaves scheduling to another process.
	DisableScheduler bool
	// Controllers selects controllers ("*", "name", "-name"); empty is all.
	Controllers []string
	// ControllerOptions are the controller manager's settings; zero
	// fields take Kubernetes' defaults.
	ControllerOptions controllerctx.Options
	// HollowNodes is how many simulated nodes run beside the control plane.
	HollowNodes int
	// EnableAgent runs a node agent (containerd and kubelet) for this
	// machine inside the server, with data under DataDir.
	EnableAgent bool
	// MaxRequestsInflight and MaxMutatingRequestsInflight add up to the
	// seats API priority and fairness shares among priority levels, as
	// Kubernetes' flags of those names. Defaults 400 and 200.
	MaxRequestsInflight, MaxMutatingRequestsInflight int
	// TestHandlers serve extra non-resource paths behind authentication
	// and flow control (tests).
	TestHandlers map[string]http.Handler
	// AgentNetwork switches the agent's network components; its ranges
	// and DNS settings are taken from the fields above.
	AgentNetwork agent.Network
}

func (c *Config) setDefaults() error {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.DataDir, "/var/lib/skiff")
	def(&c.BindAddress, "0.0.0.0")
	def(&c.ServiceCIDR, "10.43.0.0/16")
	def(&c.NodePortRange, "30000-32767")
	def(&c.WriteKubeconfig, filepath.Join(c.DataDir, "admin.kubeconfig"))
	if c.AdvertiseAddress == "" {
		c.AdvertiseAddress = network.HostIPv4()
	}
	if c.SecurePort == 0 {
		c.SecurePort = 6443
	}
	if c.CompactionInterval == 0 {
		c.CompactionInterval = 5 * time.Minute
	}
	if c.MaxRequestsInflight == 0 {
		c.MaxRequestsInflight = 400
	}
	if c.MaxMutatingRequestsInflight == 0 {
		c.MaxMutatingRequestsInflight = 200
	}
	if c.WatchCacheSize == 0 {
		c.WatchCacheSize = 1000
	}
	if c.BookmarkInterval == 0 {
		c.BookmarkInterval = time.Minute
	}
	c.ControllerOptions = withControllerDefaults(c.ControllerOptions)
	if c.EndpointReconcileInterval == 0 {
		c.EndpointReconcileInterval = 10 * time.Second
	}
	svc, err := netip.ParsePrefix(c.ServiceCIDR)
	if err != nil {
		return fmt.Errorf("--service-cidr: %w", err)
	}
	def(&c.ClusterDomain, "cluster.local")
	if c.ClusterDNS == "" {
		c.ClusterDNS = nthAddr(svc.Masked(), 10).String()
	}
	if dns, err := netip.ParseAddr(c.ClusterDNS); err != nil || !svc.Contains(dns) {
		return fmt.Errorf("--cluster-dns %q: want an address inside --service-cidr %s", c.ClusterDNS, c.ServiceCIDR)
	}
	if _, _, err := c.nodePorts(); err != nil {
		return err
	}
	return os.MkdirAll(c.DataDir, 0o700)
}

// withControllerDefaults fills the zero fields of o.
func withControllerDefaults(o controllerctx.Options) controllerctx.Options {
	d := controllerctx.Defaults()
	if !o.ClusterCIDR.IsValid() {
		o.ClusterCIDR = d.ClusterCIDR
	}
	if o.NodeCIDRMaskSize == 0 {
		o.NodeCIDRMaskSize = d.NodeCIDRMaskSize
	}
	if o.NodeMonitorGracePeriod == 0 {
		o.NodeMonitorGracePeriod = d.NodeMonitorGracePeriod
	}
	if o.Workers == 0 {
		o.Workers = d.Workers
	}
	return o
}

func (c *Config) nodePorts() (int, int, error) {
	var first, last int
	if _, err := fmt.Sscanf(c.NodePortRange, "%d-%d", &first, &last); err != nil || first < 1 || last > 65535 || first > last {
		return 0, 0, fmt.Errorf("--service-node-port-range %q: want FIRST-LAST", c.NodePortRange)
	}
	return first, last, nil
}

// nthAddr is the n-th address after p's network address.
func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Addr()
	for range n {
		a = a.Next()
	}
	return a
}
