package agent

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/skiff-sh/skiff/internal/agent/cni"
	"github.com/skiff-sh/skiff/internal/dns"
	"github.com/skiff-sh/skiff/internal/ingress"
	"github.com/skiff-sh/skiff/internal/network"
	"github.com/skiff-sh/skiff/internal/proxy"
)

// podCIDRWait bounds the wait for node IPAM to give a new node its pod
// range before the agent falls back to cni.DefaultPodCIDR.
const podCIDRWait = 30 * time.Second

// Network is a node's share of cluster networking; zero values take the
// defaults, which match the server's.
type Network struct {
	// ClusterCIDR is every pod's range. Default 10.42.0.0/16.
	ClusterCIDR string
	// ServiceCIDR is the ClusterIP range. Default 10.43.0.0/16.
	ServiceCIDR string
	// ClusterDNS is the address pods send DNS queries to; the node serves
	// DNS on it. Default: the tenth address of ServiceCIDR (10.43.0.10).
	ClusterDNS string
	// ClusterDomain is the DNS suffix of Services. Default cluster.local.
	ClusterDomain string
	// ServiceInterface, NetTable and ProxyTable name the node's dummy
	// interface and nftables tables. Defaults skiff-svc, skiff-net and
	// skiff-proxy.
	ServiceInterface, NetTable, ProxyTable string
	// IngressHTTPAddr and IngressHTTPSAddr are where the ingress router
	// listens. Defaults ":80" and ":443".
	IngressHTTPAddr, IngressHTTPSAddr string
	// DisableProxy, DisableDNS and DisableIngress leave those components
	// out of this node.
	DisableProxy, DisableDNS, DisableIngress bool
}

// parsed are the Network's addresses, checked.
type parsedNetwork struct {
	cluster, service netip.Prefix
	dns              netip.Addr
}

func (n *Network) parse() (parsedNetwork, error) {
	var p parsedNetwork
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&n.ClusterCIDR, "10.42.0.0/16")
	def(&n.ServiceCIDR, "10.43.0.0/16")
	def(&n.ClusterDomain, "cluster.local")
	var err error
	if p.cluster, err = netip.ParsePrefix(n.ClusterCIDR); err != nil {
		return p, fmt.Errorf("cluster CIDR: %w", err)
	}
	if p.service, err = netip.ParsePrefix(n.ServiceCIDR); err != nil {
		return p, fmt.Errorf("service CIDR: %w", err)
	}
	p.cluster, p.service = p.cluster.Masked(), p.service.Masked()
	if n.ClusterDNS == "" {
		a := p.service.Addr()
		for range 10 {
			a = a.Next()
		}
		n.ClusterDNS = a.String()
	}
	if p.dns, err = netip.ParseAddr(n.ClusterDNS); err != nil {
		return p, fmt.Errorf("cluster DNS address: %w", err)
	}
	return p, nil
}

// hostNetwork is the node's forwarding, masquerading, routes and service
// interface, which holds the cluster DNS address when this node serves it.
func (a *Agent) hostNetwork(client kubernetes.Interface) (*network.Host, error) {
	var local []netip.Addr
	if !a.cfg.Network.DisableDNS {
		local = append(local, a.net.dns)
	}
	return network.New(network.Config{
		Client: client, NodeName: a.cfg.NodeName, ClusterCIDR: a.net.cluster, ServiceCIDR: a.net.service,
		ServiceInterface: a.cfg.Network.ServiceInterface, LocalAddrs: local, Table: a.cfg.Network.NetTable,
		Log: a.log.With("component", "network"),
	})
}

// networkComponents are the node's service proxy, DNS server and ingress
// router, each a function that runs until ctx ends.
func (a *Agent) networkComponents(client kubernetes.Interface) ([]func(context.Context) error, error) {
	var run []func(context.Context) error
	n := a.cfg.Network
	if !n.DisableProxy {
		nodeIP, err := netip.ParseAddr(a.cfg.NodeIP)
		if err != nil {
			return nil, fmt.Errorf("node IP %q: %w", a.cfg.NodeIP, err)
		}
		var local []netip.Addr
		if !n.DisableDNS {
			local = append(local, a.net.dns)
		}
		p, err := proxy.New(proxy.Config{
			Client: client, NodeName: a.cfg.NodeName, NodeIPs: []netip.Addr{nodeIP},
			ClusterCIDR: a.net.cluster, ServiceCIDR: a.net.service, Table: n.ProxyTable,
			NodeLocalServiceIPs: local, Log: a.log.With("component", "proxy"),
		})
		if err != nil {
			return nil, err
		}
		run = append(run, p.Run)
	}
	if !n.DisableDNS {
		s, err := dns.New(dns.Config{
			Client: client, Addrs: []string{netip.AddrPortFrom(a.net.dns, 53).String()},
			ClusterDomain: n.ClusterDomain, Log: a.log.With("component", "dns"),
		})
		if err != nil {
			return nil, err
		}
		run = append(run, s.Run)
	}
	if !n.DisableIngress {
		r, err := ingress.New(ingress.Config{
			Client: client, HTTPAddr: n.IngressHTTPAddr, HTTPSAddr: n.IngressHTTPSAddr,
			Log: a.log.With("component", "ingress"),
		})
		if err != nil {
			return nil, err
		}
		// Ports 80 and 443 may belong to something else on this host: the
		// node works on without its ingress router.
		run = append(run, func(ctx context.Context) error {
			if err := r.Run(ctx); err != nil {
				a.log.Error("ingress router stopped; Ingresses are not served on this node", "err", err)
			}
			return nil
		})
	}
	return run, nil
}

// clusterDNS is what the kubelet writes into pods' resolv.conf: the
// cluster DNS address when a DNS server runs on this node.
func (a *Agent) clusterDNS() []string {
	if a.cfg.Network.DisableDNS {
		return nil
	}
	return []string{a.net.dns.String()}
}

// writePodNetwork writes the CNI conflist for the node's pod range; it
// must exist before containerd starts.
func (a *Agent) writePodNetwork(ctx context.Context, client kubernetes.Interface) error {
	cidr, err := a.podCIDR(ctx, client)
	if err != nil {
		return err
	}
	net := cni.Network{Name: a.cfg.NetworkName, Bridge: a.cfg.Bridge, PodCIDR: cidr, IPAMDir: filepath.Join(a.cfg.DataDir, "cni", "ipam")}
	a.log.Info("pod network", "podCIDR", cidr)
	return net.Write(a.containerdConfig().CNIConfDir)
}

// podCIDR is the configured range, else the Node's spec.podCIDR. A new
// node is created here, before the kubelet registers it fully, so that
// node IPAM can give it a range that CNI needs before containerd starts.
func (a *Agent) podCIDR(ctx context.Context, client kubernetes.Interface) (string, error) {
	if a.cfg.PodCIDR != "" {
		a.recordPodCIDR(ctx, client)
		return a.cfg.PodCIDR, nil
	}
	nodes := client.CoreV1().Nodes()
	deadline := time.Now().Add(podCIDRWait)
	for {
		node, err := nodes.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			node, err = nodes.Create(ctx, a.newNode(""), metav1.CreateOptions{})
		}
		if err == nil && node.Spec.PodCIDR != "" {
			return node.Spec.PodCIDR, nil
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			a.log.Warn("waiting for the node's pod range", "err", err)
		}
		if time.Now().After(deadline) {
			a.log.Warn("node has no spec.podCIDR (is the nodeipam controller running?); using the default", "podCIDR", cni.DefaultPodCIDR)
			return cni.DefaultPodCIDR, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// recordPodCIDR puts the configured range into the Node's spec.podCIDR,
// where other nodes' routes and node IPAM look for it. A range the Node
// already holds cannot change, so a different one is only reported.
func (a *Agent) recordPodCIDR(ctx context.Context, client kubernetes.Interface) {
	nodes := client.CoreV1().Nodes()
	retriable := func(err error) bool { return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) }
	err := retry.OnError(retry.DefaultRetry, retriable, func() error {
		node, err := nodes.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = nodes.Create(ctx, a.newNode(a.cfg.PodCIDR), metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		switch node.Spec.PodCIDR {
		case a.cfg.PodCIDR:
			return nil
		case "":
			node.Spec.PodCIDR, node.Spec.PodCIDRs = a.cfg.PodCIDR, []string{a.cfg.PodCIDR}
			_, err = nodes.Update(ctx, node, metav1.UpdateOptions{})
			return err
		default:
			a.log.Warn("the Node holds another pod range; other nodes route that one to this node", "podCIDR", a.cfg.PodCIDR, "spec.podCIDR", node.Spec.PodCIDR)
			return nil
		}
	})
	if err != nil {
		a.log.Warn("could not record the pod range in the Node; other nodes will not route it", "podCIDR", a.cfg.PodCIDR, "err", err)
	}
}

// newNode is the Node the agent creates before the kubelet registers it.
func (a *Agent) newNode(podCIDR string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: a.cfg.NodeName, Labels: map[string]string{
		corev1.LabelHostname: a.cfg.NodeName, corev1.LabelOSStable: runtime.GOOS, corev1.LabelArchStable: runtime.GOARCH,
	}}}
	if podCIDR != "" {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = podCIDR, []string{podCIDR}
	}
	return n
}

// cleanup removes the node's network rules after Run; it gets its own
// context because Run's has ended.
func (a *Agent) cleanup(host *network.Host) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := host.Cleanup(ctx); err != nil {
		a.log.Warn("network cleanup", "err", err)
	}
	if !a.cfg.Network.DisableProxy {
		if err := proxy.Cleanup(ctx, a.cfg.Network.ProxyTable); err != nil {
			a.log.Warn("proxy cleanup", "err", err)
		}
	}
}
