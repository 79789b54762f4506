// Package fake is an in-memory CRI runtime: sandboxes, containers and
// images live in maps, containers "run" until stopped (or until a
// configured exit), and pod IPs come from a CIDR. It implements the CRI
// client interfaces directly, without gRPC, so that thousands of hollow
// nodes in one process each run the real kubelet cheaply.
//
// Responses are built fresh on every call, but share their metadata,
// labels, annotations and images with the runtime's state: callers must
// not modify them.
package fake

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Name and Version are what Version reports: nodes show
// containerRuntimeVersion "fake://0.1.0".
const (
	Name    = "fake"
	Version = "0.1.0"
)

// Exit makes a container exit on its own.
type Exit struct {
	// After is how long the container runs before it exits.
	After time.Duration
	// Code is its exit code.
	Code int32
}

// Config describes a runtime; zero values take the documented defaults.
type Config struct {
	// PodCIDR is where pod IPs come from. Default 10.88.0.0/16.
	PodCIDR string
	// StartLatency is how long each StartContainer takes.
	StartLatency time.Duration
	// Exits are, by container name, the containers that exit on their own.
	Exits map[string]Exit
	// Images are present from the start.
	Images []string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Runtime is one node's runtime. Its methods are safe for concurrent
// use.
type Runtime struct {
	cfg Config

	mu         sync.Mutex
	nextID     uint64
	sandboxes  map[string]*sandbox
	containers map[string]*container
	images     map[string]*runtimeapi.Image
	ips        ipPool
	failures   map[failKey]error
}

// New returns an empty runtime for cfg.
func New(cfg Config) (*Runtime, error) {
	if cfg.PodCIDR == "" {
		cfg.PodCIDR = "10.88.0.0/16"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cidr, err := netip.ParsePrefix(cfg.PodCIDR)
	if err != nil || !cidr.Addr().Is4() || cidr.Bits() > 30 {
		return nil, fmt.Errorf("fake runtime: pod CIDR %q: want an IPv4 prefix of /30 or wider", cfg.PodCIDR)
	}
	r := &Runtime{cfg: cfg, sandboxes: map[string]*sandbox{}, containers: map[string]*container{},
		images: map[string]*runtimeapi.Image{}, ips: newIPPool(cidr.Masked()), failures: map[failKey]error{}}
	for _, img := range cfg.Images {
		r.addImage(img)
	}
	return r, nil
}

// newID returns a fresh object ID; callers hold mu.
func (r *Runtime) newID() string {
	r.nextID++
	return fmt.Sprintf("%016x", r.nextID)
}

// Version implements RuntimeServiceClient.
func (r *Runtime) Version(context.Context, *runtimeapi.VersionRequest, ...grpc.CallOption) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{Version: Version, RuntimeName: Name, RuntimeVersion: Version, RuntimeApiVersion: "v1"}, nil
}

// Status implements RuntimeServiceClient: the runtime and its network
// are always ready.
func (r *Runtime) Status(context.Context, *runtimeapi.StatusRequest, ...grpc.CallOption) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: true},
	}}}, nil
}

// UpdateRuntimeConfig implements RuntimeServiceClient: a new pod CIDR
// applies to the sandboxes created from then on.
func (r *Runtime) UpdateRuntimeConfig(_ context.Context, in *runtimeapi.UpdateRuntimeConfigRequest, _ ...grpc.CallOption) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	cidr := in.GetRuntimeConfig().GetNetworkConfig().GetPodCidr()
	if cidr == "" {
		return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		return nil, invalid("pod CIDR %q", cidr)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.Masked() != r.ips.cidr {
		r.ips = newIPPool(p.Masked())
	}
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}
