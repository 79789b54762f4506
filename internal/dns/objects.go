package dns

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// service is the slim part of a Service the DNS reads.
type service struct {
	clusterIPs      []netip.Addr // empty for headless and ExternalName services
	headless        bool
	externalName    string // FQDN with trailing dot, set for ExternalName services
	publishNotReady bool
	ports           []port
}

// port is a named service or endpoint port; unnamed ports get no SRV record.
type port struct {
	name  string
	proto string // lower case: tcp, udp, sctp
	port  uint16
}

// slice is the slim part of an EndpointSlice the DNS reads.
type slice struct {
	service   string
	endpoints []endpoint
	ports     []port
}

type endpoint struct {
	addrs    []netip.Addr
	hostname string
	ready    bool
}

func toService(s *corev1.Service) *service {
	out := &service{publishNotReady: s.Spec.PublishNotReadyAddresses}
	switch {
	case s.Spec.Type == corev1.ServiceTypeExternalName:
		out.externalName = fqdn(s.Spec.ExternalName)
	case s.Spec.ClusterIP == corev1.ClusterIPNone:
		out.headless = true
	default:
		out.clusterIPs = parseAddrs(s.Spec.ClusterIPs)
		if len(out.clusterIPs) == 0 {
			out.clusterIPs = parseAddrs([]string{s.Spec.ClusterIP})
		}
	}
	for _, p := range s.Spec.Ports {
		out.ports = appendPort(out.ports, p.Name, p.Protocol, p.Port)
	}
	return out
}

func toSlice(es *discoveryv1.EndpointSlice) *slice {
	out := &slice{service: es.Labels[discoveryv1.LabelServiceName]}
	if es.AddressType == discoveryv1.AddressTypeFQDN {
		return out
	}
	for _, e := range es.Endpoints {
		ep := endpoint{addrs: parseAddrs(e.Addresses), ready: e.Conditions.Ready == nil || *e.Conditions.Ready}
		if e.Hostname != nil {
			ep.hostname = strings.ToLower(*e.Hostname)
		}
		out.endpoints = append(out.endpoints, ep)
	}
	for _, p := range es.Ports {
		if p.Name == nil || p.Port == nil {
			continue
		}
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		out.ports = appendPort(out.ports, *p.Name, proto, *p.Port)
	}
	return out
}

func appendPort(ports []port, name string, proto corev1.Protocol, number int32) []port {
	if name == "" || number <= 0 || number > 65535 {
		return ports
	}
	return append(ports, port{name: strings.ToLower(name), proto: strings.ToLower(string(proto)), port: uint16(number)})
}

func parseAddrs(ss []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// fqdn lower-cases name and adds the trailing dot.
func fqdn(name string) string {
	name = strings.ToLower(name)
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}
