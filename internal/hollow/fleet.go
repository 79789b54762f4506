package hollow

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/cri/fake"
	"github.com/skiff-sh/skiff/internal/kubelet"
)

// Config describes a fleet of identical hollow nodes.
type Config struct {
	Client kubernetes.Interface
	// Count is the number of nodes.
	Count int
	// NamePrefix names the nodes NamePrefix0, NamePrefix1, ... Default "hollow-node-".
	NamePrefix string
	// CPU, Memory and Pods are each node's capacity (allocatable is the
	// same). Defaults 4, 16Gi and 110.
	CPU, Memory string
	Pods        int
	// Zones are assigned round-robin as topology.kubernetes.io/zone;
	// empty means no zone label.
	Zones []string
	// Labels are added to every node.
	Labels map[string]string
	// LeaseInterval is how often each node renews its Lease. Default 10s.
	LeaseInterval time.Duration
	// RelistPeriod is how often each kubelet lists its runtime to notice
	// containers that exited. Default 5s: fake containers exit only when
	// told to, and thousands of kubelets share the process.
	RelistPeriod time.Duration
	// Runtime is every node's fake runtime (start latency, exits,
	// failures); its PodCIDR is replaced by a range per node until node
	// IPAM assigns one.
	Runtime fake.Config
	// RootCA is the cluster CA (PEM), which pods' kube-root-ca.crt
	// volumes get while the API has no such ConfigMap.
	RootCA []byte
	// DataDir holds each node's kubelet, log and volume directories; Run
	// empties it first, since the fake runtimes start empty. Default: a
	// temporary directory, removed when Run returns.
	DataDir string
	Log     *slog.Logger
}

// Fleet runs the nodes. New fills defaults and starts nothing; Run runs
// a kubelet per node until ctx ends, and returns nil then, having waited
// for every kubelet.
type Fleet struct {
	cfg Config
	// runtimes are the nodes' fake runtimes, by index.
	runtimes []*fake.Runtime
}

// New returns a fleet for cfg.
func New(cfg Config) (*Fleet, error) {
	if cfg.Client == nil || cfg.Count < 0 {
		return nil, fmt.Errorf("hollow: a client and a non-negative count are required")
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.NamePrefix, "hollow-node-")
	def(&cfg.CPU, "4")
	def(&cfg.Memory, "16Gi")
	if cfg.Pods == 0 {
		cfg.Pods = 110
	}
	if cfg.LeaseInterval == 0 {
		cfg.LeaseInterval = 10 * time.Second
	}
	if cfg.RelistPeriod == 0 {
		cfg.RelistPeriod = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	for _, q := range []string{cfg.CPU, cfg.Memory} {
		if _, err := resource.ParseQuantity(q); err != nil {
			return nil, fmt.Errorf("hollow: capacity %q: %w", q, err)
		}
	}
	f := &Fleet{cfg: cfg}
	for i := range cfg.Count {
		rc := cfg.Runtime
		rc.PodCIDR = fallbackCIDR(i)
		rt, err := fake.New(rc)
		if err != nil {
			return nil, fmt.Errorf("hollow: node %d: %w", i, err)
		}
		f.runtimes = append(f.runtimes, rt)
	}
	return f, nil
}

// NodeNames lists the fleet's node names in index order.
func (f *Fleet) NodeNames() []string {
	names := make([]string, f.cfg.Count)
	for i := range names {
		names[i] = f.nodeName(i)
	}
	return names
}

// Runtime is node i's fake runtime, for tests to inject failures and
// inspect containers.
func (f *Fleet) Runtime(i int) *fake.Runtime { return f.runtimes[i] }

// Run runs every node's kubelet until ctx ends.
func (f *Fleet) Run(ctx context.Context) error {
	dir, cleanup, err := f.dataDir()
	if err != nil {
		return err
	}
	defer cleanup()
	resolv := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.18.0.1\n"), 0o644); err != nil {
		return fmt.Errorf("hollow: %w", err)
	}
	pods, err := kubelet.NewSharedPods(f.cfg.Client)
	if err != nil {
		return err
	}
	events := record.NewBroadcaster(record.WithContext(ctx))
	defer events.Shutdown()
	events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: f.cfg.Client.CoreV1().Events("")})
	kubelets := make([]*kubelet.Kubelet, f.cfg.Count)
	for i := range kubelets {
		if kubelets[i], err = f.kubelet(i, dir, resolv, pods, events); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { pods.Run(gctx); return nil })
	for _, k := range kubelets {
		g.Go(func() error { return k.Run(gctx) })
	}
	return g.Wait()
}

// kubelet is node i's kubelet: its capacity, labels and address, the
// shared pod informer and event broadcaster, no server, and directories
// under dir.
func (f *Fleet) kubelet(i int, dir, resolv string, pods *kubelet.SharedPods, events record.EventBroadcaster) (*kubelet.Kubelet, error) {
	name := f.nodeName(i)
	home := filepath.Join(dir, name)
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, fmt.Errorf("hollow: %w", err)
	}
	return kubelet.New(kubelet.Config{
		NodeName: name, Client: f.cfg.Client, Runtime: cri.NewClient(f.runtimes[i], f.runtimes[i]),
		NodeIP: nodeIP(i), Labels: f.labels(i), Capacity: f.capacity(),
		RootCA: f.cfg.RootCA, Pods: pods, Recorder: events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: name}),
		DataDir: home, LogRoot: filepath.Join(home, "logs"), CgroupRoot: "/skiff-hollow/" + name, ResolvConf: resolv,
		LeasePeriod: f.cfg.LeaseInterval, RelistPeriod: f.cfg.RelistPeriod, PodDial: noPodNetwork,
		Log: f.cfg.Log.With("node", name),
	})
}

// noPodNetwork fails every probe and hook connection at once: hollow pods'
// addresses exist nowhere, and a dial would follow the default route off
// the machine.
func noPodNetwork(_ context.Context, _, addr string) (net.Conn, error) {
	return nil, fmt.Errorf("dial %s: hollow node: pods have no network", addr)
}

// dataDir is DataDir, or a temporary directory that cleanup removes.
func (f *Fleet) dataDir() (string, func(), error) {
	if f.cfg.DataDir != "" {
		if err := os.RemoveAll(f.cfg.DataDir); err != nil {
			return "", nil, fmt.Errorf("hollow: %w", err)
		}
		return f.cfg.DataDir, func() {}, os.MkdirAll(f.cfg.DataDir, 0o755)
	}
	dir, err := os.MkdirTemp("", "skiff-hollow-")
	if err != nil {
		return "", nil, fmt.Errorf("hollow: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
