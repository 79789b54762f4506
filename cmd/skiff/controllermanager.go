package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"

	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/manager"
	"github.com/skiff-sh/skiff/internal/controller/servicelb"
	"github.com/skiff-sh/skiff/internal/leader"
)

// controllerFlagValues holds the controller flags that are parsed and
// checked once fs is parsed.
type controllerFlagValues struct {
	clusterCIDR string
	lbPool      stringList
}

// controllerFlags registers the controller manager's settings on fs.
func controllerFlags(fs *flag.FlagSet, o *controllerctx.Options) *controllerFlagValues {
	d := controllerctx.Defaults()
	v := &controllerFlagValues{}
	fs.StringVar(&v.clusterCIDR, "cluster-cidr", d.ClusterCIDR.String(), "pod address range; each node gets a slice of it")
	fs.IntVar(&o.NodeCIDRMaskSize, "node-cidr-mask-size", d.NodeCIDRMaskSize, "prefix length of each node's pod range")
	fs.DurationVar(&o.NodeMonitorGracePeriod, "node-monitor-grace-period", d.NodeMonitorGracePeriod, "how long a node may miss lease renewals before it is marked not ready")
	fs.IntVar(&o.Workers, "concurrent-syncs", d.Workers, "workers per controller")
	fs.StringVar(&o.ClusterSigningCertFile, "cluster-signing-cert-file", "", "PEM CA certificate that signs approved CertificateSigningRequests (the server's own CA when run inside skiff server)")
	fs.StringVar(&o.ClusterSigningKeyFile, "cluster-signing-key-file", "", "PEM PKCS#8 key of --cluster-signing-cert-file")
	fs.DurationVar(&o.ClusterSigningDuration, "cluster-signing-duration", d.ClusterSigningDuration, "longest validity of a signed certificate")
	fs.Var(&v.lbPool, "loadbalancer-ip-pool", "IPv4 ranges (CIDR or first-last) LoadBalancer Services get addresses from; default: node addresses (repeatable or comma-separated)")
	return v
}

func (v *controllerFlagValues) apply(o *controllerctx.Options) error {
	p, err := netip.ParsePrefix(v.clusterCIDR)
	if err != nil {
		return fmt.Errorf("--cluster-cidr: %w", err)
	}
	o.ClusterCIDR = p
	if _, err := servicelb.ParsePool(v.lbPool); err != nil {
		return fmt.Errorf("--loadbalancer-ip-pool: %w", err)
	}
	o.LoadBalancerIPPool = v.lbPool
	return nil
}

// runControllerManager runs the controllers against a cluster, as
// kube-controller-manager does.
func runControllerManager(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("skiff controller-manager", flag.ContinueOnError)
	api := addComponentAPIFlags(fs)
	leaderElect := fs.Bool("leader-elect", true, "run only while holding the kube-controller-manager lease")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	var controllers stringList
	fs.Var(&controllers, "controllers", `controllers to run: "*" for all, "name" to enable, "-name" to disable`)
	var opts controllerctx.Options
	ctrlFlags := controllerFlags(fs, &opts)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := ctrlFlags.apply(&opts); err != nil {
		return err
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	rc, err := api.restConfig()
	if err != nil {
		return err
	}
	m, err := manager.New(manager.Config{REST: rc, Controllers: controllers, Options: opts, Log: log})
	if err != nil {
		return err
	}
	if !*leaderElect {
		return m.Run(ctx)
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	return leader.Run(ctx, client, "kube-controller-manager", fmt.Sprintf("%s_%d", host, os.Getpid()), m.Run)
}
