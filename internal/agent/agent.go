// Package agent composes a skiff node: the host network and the pod
// network's CNI config, a containerd of its own, the images it needs
// without a registry, the kubelet, and the node's service proxy, cluster
// DNS server and ingress router.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/agent/containerd"
	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/images"
	"github.com/skiff-sh/skiff/internal/kubelet"
	"github.com/skiff-sh/skiff/internal/network"
)

// startTimeout bounds containerd's start and its CRI becoming ready.
const startTimeout = 60 * time.Second

// Config is one node's agent; zero values take the documented defaults.
type Config struct {
	// REST reaches the API server. Required.
	REST *rest.Config
	// NodeName defaults to the host name.
	NodeName string
	// DataDir holds containerd, CNI config and leases, and images/.
	// Default /var/lib/skiff.
	DataDir string
	// NodeIP is the node's InternalIP. Default: first non-loopback IPv4.
	NodeIP string
	// PodCIDR overrides the node's spec.podCIDR (else cni.DefaultPodCIDR
	// while it has none).
	PodCIDR string
	// NetworkName and Bridge name the CNI network and its bridge.
	// Defaults "skiff" and "skiff0".
	NetworkName, Bridge string
	// LogRoot and CgroupRoot: see kubelet.Config.
	LogRoot, CgroupRoot string
	// PauseBinary is the static pause program packed into images/pause.tar
	// when that file is missing. Default: skiff-pause beside the running
	// executable, else on PATH.
	PauseBinary string
	// ContainerdBinary defaults to "containerd" on PATH.
	ContainerdBinary string
	// Network is the node's share of cluster networking.
	Network Network
	// Cleanup removes the node's nftables tables, routes and service
	// interface when Run returns (`skiff agent --cleanup`); pods lose
	// their Services and cross-node routes until the agent runs again.
	Cleanup bool
	// KubeletServerAddr is kubelet.Config.ServerAddr ("" disables).
	KubeletServerAddr string
	// VolumeResyncPeriod is kubelet.Config.VolumeResyncPeriod.
	VolumeResyncPeriod time.Duration
	// GC and Eviction are kubelet.Config's; the pause image is always
	// pinned.
	GC       kubelet.GCPolicy
	Eviction kubelet.EvictionPolicy
	Log      *slog.Logger
}

// Agent runs one node. New starts nothing; Run starts containerd and the
// kubelet, blocks until ctx ends or either fails, and returns nil on
// cancellation once containerd has exited. Containers survive the agent.
type Agent struct {
	cfg Config
	net parsedNetwork
	log *slog.Logger
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Agent, error) {
	if cfg.REST == nil {
		return nil, errors.New("agent: REST config is required")
	}
	if cfg.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("node name: %w", err)
		}
		cfg.NodeName = h
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "/var/lib/skiff"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.PauseBinary == "" {
		cfg.PauseBinary = images.FindPause()
	}
	if cfg.NodeIP == "" {
		cfg.NodeIP = network.HostIPv4()
	}
	net, err := cfg.Network.parse()
	if err != nil {
		return nil, err
	}
	return &Agent{cfg: cfg, net: net, log: cfg.Log.With("node", cfg.NodeName)}, nil
}

// Socket is the node's CRI socket.
func (a *Agent) Socket() string { return a.containerdConfig().Socket() }

// ImagesDir is where tarballs imported at every start live.
func (a *Agent) ImagesDir() string { return filepath.Join(a.cfg.DataDir, "images") }

func (a *Agent) containerdConfig() containerd.Config {
	return containerd.Config{
		Dir: filepath.Join(a.cfg.DataDir, "containerd"), SandboxImage: images.Pause,
		CNIConfDir: filepath.Join(a.cfg.DataDir, "cni", "net.d"), Binary: a.cfg.ContainerdBinary,
	}
}

// withKubeletRateLimits gives a REST config without its own limits the
// kubelet's defaults (kubeAPIQPS 50, kubeAPIBurst 100) instead of
// client-go's 5 and 10, which held a node starting 30 pods at once to a
// few status writes a second.
func withKubeletRateLimits(c *rest.Config) *rest.Config {
	c = rest.CopyConfig(c)
	if c.QPS == 0 && c.RateLimiter == nil {
		c.QPS, c.Burst = 50, 100
	}
	return c
}

// Run implements the contract in the type's comment.
func (a *Agent) Run(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(withKubeletRateLimits(a.cfg.REST))
	if err != nil {
		return err
	}
	host, err := a.hostNetwork(client)
	if err != nil {
		return err
	}
	if err := host.Setup(ctx); err != nil {
		return err
	}
	if a.cfg.Cleanup {
		defer a.cleanup(host)
	}
	if err := a.writePodNetwork(ctx, client); err != nil {
		return err
	}
	components, err := a.networkComponents(client)
	if err != nil {
		return err
	}
	if err := a.ensurePauseImage(); err != nil {
		return err
	}
	proc, err := containerd.New(a.containerdConfig(), a.log.With("component", "containerd"))
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return proc.Run(gctx) })
	g.Go(func() error { return host.Run(gctx) })
	for _, run := range components {
		g.Go(func() error { return run(gctx) })
	}
	g.Go(func() error {
		err := a.runKubelet(gctx, proc, client)
		if err != nil {
			return err
		}
		if ctx.Err() == nil {
			return errors.New("kubelet stopped")
		}
		return nil
	})
	return g.Wait()
}

// ensurePauseImage writes images/pause.tar from the pause binary when it
// is missing.
func (a *Agent) ensurePauseImage() error {
	out := filepath.Join(a.ImagesDir(), "pause.tar")
	if _, err := os.Stat(out); err == nil {
		return nil
	}
	if a.cfg.PauseBinary == "" {
		return fmt.Errorf("no pause image: %s is missing and no skiff-pause binary was found; build one with `CGO_ENABLED=0 go build -o /usr/local/bin/skiff-pause ./cmd/pause` or run `skiff images pause-tar`", out)
	}
	return images.WritePauseTar(a.cfg.PauseBinary, out)
}

// runKubelet waits for containerd, imports the images, and runs the
// kubelet until ctx ends.
func (a *Agent) runKubelet(ctx context.Context, proc *containerd.Process, client kubernetes.Interface) error {
	if err := proc.WaitReady(ctx, startTimeout); err != nil {
		return err
	}
	tars, err := images.TarsIn(a.ImagesDir())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := images.Import(ctx, proc.Socket(), tars...); err != nil {
		return err
	}
	a.log.Info("images imported", "count", len(tars), "took", time.Since(start).Round(time.Millisecond))
	rt, err := cri.Dial(ctx, proc.Socket())
	if err != nil {
		return err
	}
	defer rt.Close()
	wctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := rt.WaitReady(wctx); err != nil {
		return err
	}
	rootCA := a.cfg.REST.CAData
	if len(rootCA) == 0 && a.cfg.REST.CAFile != "" {
		if rootCA, err = os.ReadFile(a.cfg.REST.CAFile); err != nil {
			return fmt.Errorf("cluster CA: %w", err)
		}
	}
	gc := a.cfg.GC
	gc.PinnedImages = append(slices.Clone(gc.PinnedImages), images.Pause)
	k, err := kubelet.New(kubelet.Config{
		NodeName: a.cfg.NodeName, Client: client, Runtime: rt, NodeIP: a.cfg.NodeIP, DataDir: a.cfg.DataDir,
		LogRoot: a.cfg.LogRoot, CgroupRoot: a.cfg.CgroupRoot, RootCA: rootCA, Log: a.log.With("component", "kubelet"),
		ClusterDNS: a.clusterDNS(), ClusterDomain: a.cfg.Network.ClusterDomain,
		ServerAddr: a.cfg.KubeletServerAddr, VolumeResyncPeriod: a.cfg.VolumeResyncPeriod,
		GC: gc, Eviction: a.cfg.Eviction,
	})
	if err != nil {
		return err
	}
	return k.Run(ctx)
}
