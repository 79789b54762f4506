package proxy

import (
	"net/netip"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// service is the slice of a Service the proxy reads.
type service struct {
	clusterIP netip.Addr
	ports     []servicePort
	// external holds spec.externalIPs and LoadBalancer ingress IPs.
	external []netip.Addr
	// affinity is the ClientIP affinity timeout; 0 means none.
	affinity      time.Duration
	externalLocal bool
	internalLocal bool
}

type servicePort struct {
	name     string
	protocol string // nft spelling: tcp, udp or sctp
	port     int32
	nodePort int32
}

// slice is the slice of an EndpointSlice the proxy reads.
type slice struct {
	ports     []slicePort
	endpoints []sliceEndpoint
}

type slicePort struct {
	name     string
	protocol string
	port     int32
}

type sliceEndpoint struct {
	ip                          netip.Addr
	ready, serving, terminating bool
	nodeName                    string
}

// defaultAffinityTimeout is Kubernetes' default ClientIP timeout (3h).
const defaultAffinityTimeout = 10800 * time.Second

// toService returns nil for Services the proxy does not program, as
// kube-proxy: ExternalName, headless and IPv6-only ones.
func toService(s *corev1.Service) *service {
	ip, err := netip.ParseAddr(s.Spec.ClusterIP)
	if s.Spec.Type == corev1.ServiceTypeExternalName || err != nil || !ip.Is4() {
		return nil
	}
	out := &service{
		clusterIP:     ip,
		externalLocal: s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
		internalLocal: s.Spec.InternalTrafficPolicy != nil && *s.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal,
	}
	for _, p := range s.Spec.Ports {
		out.ports = append(out.ports, servicePort{name: p.Name, protocol: nftProto(p.Protocol), port: p.Port, nodePort: p.NodePort})
	}
	out.external = ipv4s(s.Spec.ExternalIPs)
	for _, ing := range s.Status.LoadBalancer.Ingress {
		out.external = append(out.external, ipv4s([]string{ing.IP})...)
	}
	if s.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		out.affinity = defaultAffinityTimeout
		if c := s.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			out.affinity = time.Duration(*c.ClientIP.TimeoutSeconds) * time.Second
		}
	}
	return out
}

// toSlice keeps IPv4 slices only; nil conditions mean what the API
// says: ready and serving when unset, not terminating.
func toSlice(s *discoveryv1.EndpointSlice) *slice {
	out := &slice{}
	if s.AddressType != discoveryv1.AddressTypeIPv4 {
		return out
	}
	for _, p := range s.Ports {
		if p.Port == nil {
			continue
		}
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		out.ports = append(out.ports, slicePort{name: deref(p.Name, ""), protocol: nftProto(proto), port: *p.Port})
	}
	for _, e := range s.Endpoints {
		ready := deref(e.Conditions.Ready, true)
		ep := sliceEndpoint{
			ready: ready, serving: deref(e.Conditions.Serving, ready),
			terminating: deref(e.Conditions.Terminating, false), nodeName: deref(e.NodeName, ""),
		}
		for _, ip := range ipv4s(e.Addresses) {
			ep.ip = ip
			out.endpoints = append(out.endpoints, ep)
		}
	}
	return out
}

func nftProto(p corev1.Protocol) string {
	if p == "" {
		return "tcp"
	}
	return strings.ToLower(string(p))
}

func ipv4s(in []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range in {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Is4() {
			out = append(out, ip)
		}
	}
	return out
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
