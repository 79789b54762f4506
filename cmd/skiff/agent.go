package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/kubelet"
)

// runAgent runs a node: its own containerd and the kubelet, joined to
// the API server at --server.
func runAgent(ctx context.Context, args []string) error {
	var cfg agent.Config
	fs := flag.NewFlagSet("skiff agent", flag.ContinueOnError)
	server := fs.String("server", "", "API server URL, e.g. https://10.0.0.1:6443 (required)")
	tokenFile := fs.String("token-file", "", "file holding the bearer token the agent authenticates with (required)")
	caFile := fs.String("ca-file", "", "CA bundle that signed the API server's certificate (the server's <data-dir>/tls/ca.crt)")
	insecure := fs.Bool("insecure-skip-tls-verify", false, "do not verify the API server's certificate (testing only)")
	fs.StringVar(&cfg.NodeName, "node-name", "", "name of this node (default: host name)")
	fs.StringVar(&cfg.DataDir, "data-dir", "/var/lib/skiff", "directory for containerd, CNI config and images/")
	fs.StringVar(&cfg.NodeIP, "node-ip", "", "InternalIP of this node (default: first non-loopback IPv4)")
	fs.StringVar(&cfg.PodCIDR, "pod-cidr", "", "pod range of this node (default: the node's spec.podCIDR, else 10.42.0.0/24)")
	fs.StringVar(&cfg.PauseBinary, "pause-binary", "", "static pause program for images/pause.tar (default: skiff-pause beside skiff, else on PATH)")
	fs.StringVar(&cfg.ContainerdBinary, "containerd", "containerd", "containerd executable")
	fs.StringVar(&cfg.CgroupRoot, "cgroup-root", "", "cgroupfs parent of the node's pod cgroups (default /skiff/<node-name>)")
	fs.StringVar(&cfg.LogRoot, "log-root", "", "directory of the pods' log directories (default /var/log/pods)")
	fs.StringVar(&cfg.KubeletServerAddr, "kubelet-server-address", ":10250", "where the kubelet serves logs, exec, attach and port-forward to the API server (HTTPS, cluster client certificates only; empty disables)")
	addNetworkFlags(fs, &cfg.Network)
	evictionHard := fs.String("eviction-hard", kubelet.DefaultEvictionHard, "hard eviction thresholds, <signal><<quantity or %>[,...]; signals memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree; a list replaces the defaults")
	fs.IntVar(&cfg.GC.ImageHighThresholdPercent, "image-gc-high-threshold", 85, "image filesystem usage (percent) at which unused images are removed")
	fs.IntVar(&cfg.GC.ImageLowThresholdPercent, "image-gc-low-threshold", 80, "image filesystem usage (percent) image garbage collection frees down to")
	fs.BoolVar(&cfg.Cleanup, "cleanup", false, "remove the node's nftables tables, routes and service interface when the agent stops")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rc, err := agentREST(*server, *tokenFile, *caFile, *insecure)
	if err != nil {
		return err
	}
	if cfg.Eviction.Hard, err = kubelet.ParseThresholds(*evictionHard); err != nil {
		return fmt.Errorf("--eviction-hard: %w", err)
	}
	if cfg.Log, err = newLogger(*logLevel); err != nil {
		return err
	}
	cfg.REST = rc
	a, err := agent.New(cfg)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// agentREST builds the agent's client config: a bearer token from a
// file, and the server's CA or, if asked, no verification.
func agentREST(server, tokenFile, caFile string, insecure bool) (*rest.Config, error) {
	if server == "" || tokenFile == "" {
		return nil, errors.New("--server and --token-file are required")
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, fmt.Errorf("--token-file: %w", err)
	}
	if caFile == "" && !insecure {
		return nil, errors.New("give --ca-file, or --insecure-skip-tls-verify to trust any server certificate")
	}
	rc := &rest.Config{Host: server, BearerToken: strings.TrimSpace(string(tok))}
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	rc.TLSClientConfig = rest.TLSClientConfig{CAFile: caFile, Insecure: insecure}
	return rc, nil
}

// addNetworkFlags registers a node's networking flags; their defaults
// match the server's.
func addNetworkFlags(fs *flag.FlagSet, n *agent.Network) {
	fs.StringVar(&n.ClusterCIDR, "cluster-cidr", "10.42.0.0/16", "pod range of the whole cluster (pod traffic leaving it is masqueraded)")
	fs.StringVar(&n.ServiceCIDR, "service-cidr", "10.43.0.0/16", "ClusterIP range")
	fs.StringVar(&n.ClusterDNS, "cluster-dns", "", "address the node serves cluster DNS on and pods query (default: the tenth address of --service-cidr, 10.43.0.10)")
	fs.StringVar(&n.ClusterDomain, "cluster-domain", "cluster.local", "DNS suffix of Services and pods")
	addNodeComponentFlags(fs, n)
}

// addNodeComponentFlags registers the switches of a node's network
// components, for `skiff agent` and the server's own agent.
func addNodeComponentFlags(fs *flag.FlagSet, n *agent.Network) {
	fs.BoolVar(&n.DisableProxy, "disable-proxy", false, "do not run the nftables service proxy on this node")
	fs.BoolVar(&n.DisableDNS, "disable-dns", false, "do not serve cluster DNS on this node (pods then get the host's resolvers)")
	fs.BoolVar(&n.DisableIngress, "disable-ingress", false, "do not run the ingress router (ports 80 and 443) on this node")
}
