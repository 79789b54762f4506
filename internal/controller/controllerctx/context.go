// Package controllerctx is what every controller is built from: a client,
// the shared informers, the options of the controller manager and a place
// for metrics. Controllers are started by internal/controller/manager.
package controllerctx

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/record"
)

// Options are the controller manager's settings, each with a Kubernetes
// default (see Defaults).
type Options struct {
	// ClusterCIDR is where node pod CIDRs are cut from (10.42.0.0/16).
	ClusterCIDR netip.Prefix
	// NodeCIDRMaskSize is the prefix length of a node's pod CIDR (24).
	NodeCIDRMaskSize int
	// NodeMonitorGracePeriod is how long a node may go without renewing
	// its Lease before it is marked Ready=Unknown (40s).
	NodeMonitorGracePeriod time.Duration
	// Workers per controller (5, as kube-controller-manager's --concurrent-*).
	Workers int
	// RootCA is the cluster CA bundle (PEM) published in every namespace's
	// kube-root-ca.crt ConfigMap, as --root-ca-file does. Empty: the
	// manager takes the CA its REST config trusts (CAData or CAFile).
	RootCA []byte
	// LoadBalancerIPPool are the address ranges LoadBalancer Services get
	// an address from (see servicelb.ParsePool). Empty: they get the
	// addresses of the Ready nodes.
	LoadBalancerIPPool []string
	// ClusterSigningCertFile and ClusterSigningKeyFile are the CA that
	// signs approved CertificateSigningRequests of the kubernetes.io
	// signers; empty leaves them unsigned.
	ClusterSigningCertFile, ClusterSigningKeyFile string
	// ClusterSigningDuration is the longest certificate it issues (1 year).
	ClusterSigningDuration time.Duration
}

// Defaults returns Kubernetes' defaults.
func Defaults() Options {
	return Options{
		ClusterCIDR:            netip.MustParsePrefix("10.42.0.0/16"),
		NodeCIDRMaskSize:       24,
		NodeMonitorGracePeriod: 40 * time.Second,
		Workers:                5,
		ClusterSigningDuration: 365 * 24 * time.Hour,
	}
}

// Context is handed to every controller constructor.
type Context struct {
	Client   kubernetes.Interface
	Dynamic  dynamic.Interface
	Metadata metadata.Interface
	// Informers is shared by all controllers; the manager starts it after
	// every constructor has asked for its informers, then waits for sync.
	Informers informers.SharedInformerFactory
	// Recorder writes Events; its source component is the controller's name.
	Recorder func(component string) record.EventRecorder
	Options  Options
	Metrics  prometheus.Registerer
	Log      *slog.Logger
}

// Controller is one running controller: Run blocks until ctx ends, waits
// for its workers, and returns nil then.
type Controller interface {
	Run(ctx context.Context) error
}

// Constructor builds a controller; it must only register informers and
// handlers, never start anything.
type Constructor func(cc *Context) (Controller, error)
