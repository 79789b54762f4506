// Package nodeaddr answers which addresses of a Node serve traffic: its
// InternalIPs, and the set of nodes that front LoadBalancer Services and
// Ingresses.
package nodeaddr

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// ExcludeLabel keeps a node out of load balancers, as in Kubernetes.
const ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers"

// Ready reports the node's Ready condition.
func Ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// InternalIPs are the node's parseable InternalIP addresses.
func InternalIPs(n *corev1.Node) []netip.Addr {
	var out []netip.Addr
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil {
			out = append(out, ip)
		}
	}
	return out
}

// Balancing reports whether a node fronts load balancers: Ready,
// schedulable and not excluded by ExcludeLabel.
func Balancing(n *corev1.Node) bool {
	_, excluded := n.Labels[ExcludeLabel]
	return Ready(n) && !n.Spec.Unschedulable && !excluded
}

// LoadBalancerAddrs are the sorted, distinct InternalIPs of the nodes
// that front load balancers. Every component computing it from the same
// nodes gets the same list, so several writers never disagree.
func LoadBalancerAddrs(nodes []*corev1.Node) []netip.Addr {
	var out []netip.Addr
	for _, n := range nodes {
		if Balancing(n) {
			out = append(out, InternalIPs(n)...)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}
