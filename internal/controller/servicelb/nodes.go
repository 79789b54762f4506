package servicelb

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/nodeaddr"
)

// nodeAddrs returns the addresses node n opens LoadBalancer Services on:
// none unless it fronts load balancers.
func nodeAddrs(n *corev1.Node) []netip.Addr {
	if !nodeaddr.Balancing(n) {
		return nil
	}
	return nodeaddr.InternalIPs(n)
}
