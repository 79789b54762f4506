package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/skiff-sh/skiff/internal/server"
)

// stringList is a repeatable, comma-separable flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runServer(ctx context.Context, args []string) error {
	var cfg server.Config
	var sans, etcdServers stringList
	var logLevel string
	fs := flag.NewFlagSet("skiff server", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data-dir", "/var/lib/skiff", "directory for etcd data, certificates and keys")
	fs.StringVar(&cfg.BindAddress, "bind-address", "0.0.0.0", "address the API server listens on")
	fs.IntVar(&cfg.SecurePort, "secure-port", 6443, "HTTPS port of the API server")
	fs.StringVar(&cfg.AdvertiseAddress, "advertise-address", "", "IP published as the kubernetes Service endpoint (default: first non-loopback IPv4)")
	fs.Var(&sans, "tls-san", "extra name or IP for the serving certificate (repeatable)")
	fs.Var(&etcdServers, "etcd-servers", "external etcd endpoints (comma-separated); default: embedded etcd")
	fs.StringVar(&cfg.EtcdCAFile, "etcd-cafile", "", "CA bundle for external etcd")
	fs.StringVar(&cfg.EtcdCertFile, "etcd-certfile", "", "client certificate for external etcd")
	fs.StringVar(&cfg.EtcdKeyFile, "etcd-keyfile", "", "client key for external etcd")
	fs.StringVar(&cfg.EtcdClientURL, "etcd-listen-client-url", "http://127.0.0.1:2379", "where the embedded etcd serves clients")
	fs.StringVar(&cfg.EtcdPeerURL, "etcd-listen-peer-url", "http://127.0.0.1:2380", "where the embedded etcd serves peers")
	fs.StringVar(&cfg.TokenAuthFile, "token-auth-file", "", "static bearer tokens: CSV lines token,user,uid,\"group1,group2\"")
	fs.StringVar(&cfg.WriteKubeconfig, "write-kubeconfig", "", "where to write the admin kubeconfig (default <data-dir>/admin.kubeconfig)")
	fs.StringVar(&cfg.ServiceCIDR, "service-cidr", "10.43.0.0/16", "ClusterIP range of Services")
	fs.StringVar(&cfg.NodePortRange, "service-node-port-range", "30000-32767", "NodePort range of Services")
	fs.StringVar(&cfg.ClusterDNS, "cluster-dns", "", "ClusterIP of kube-system/kube-dns, which every node serves DNS on (default: the tenth address of --service-cidr, 10.43.0.10)")
	fs.StringVar(&cfg.ClusterDomain, "cluster-domain", "cluster.local", "DNS suffix of Services and pods")
	fs.DurationVar(&cfg.CompactionInterval, "etcd-compaction-interval", 5*time.Minute, "how often etcd history older than this is compacted")
	fs.IntVar(&cfg.WatchCacheSize, "watch-cache-size", 1000, "recent events kept per resource for watches")
	fs.IntVar(&cfg.MaxRequestsInflight, "max-requests-inflight", 400, "with --max-mutating-requests-inflight, the seats API priority and fairness shares among priority levels")
	fs.IntVar(&cfg.MaxMutatingRequestsInflight, "max-mutating-requests-inflight", 200, "added to --max-requests-inflight for API priority and fairness")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&cfg.DisableScheduler, "disable-scheduler", false, "do not run the scheduler in this process")
	fs.BoolVar(&cfg.DisableControllerManager, "disable-controller-manager", false, "do not run the controllers in this process")
	fs.BoolVar(&cfg.EnableAgent, "enable-agent", false, "also run a node agent (containerd + kubelet) for this machine; needs root (see skiff check)")
	addNodeComponentFlags(fs, &cfg.AgentNetwork)
	fs.IntVar(&cfg.HollowNodes, "hollow-nodes", 0, "run this many simulated nodes beside the control plane (no containers; for demos and tests)")
	var controllers stringList
	fs.Var(&controllers, "controllers", `controllers to run: "*" for all, "name" to enable, "-name" to disable (repeatable or comma-separated)`)
	ctrlFlags := controllerFlags(fs, &cfg.ControllerOptions)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.TLSSANs, cfg.EtcdServers, cfg.Controllers = sans, etcdServers, controllers
	if err := ctrlFlags.apply(&cfg.ControllerOptions); err != nil {
		return err
	}
	log, err := newLogger(logLevel)
	if err != nil {
		return err
	}
	srv, err := server.New(cfg, log)
	if err != nil {
		return err
	}
	go func() {
		select {
		case <-srv.Ready():
			fmt.Fprintf(os.Stderr, "skiff server ready at %s\nkubeconfig: %s\n", srv.URL(), srv.KubeconfigPath())
		case <-ctx.Done():
		}
	}()
	return srv.Run(ctx)
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
