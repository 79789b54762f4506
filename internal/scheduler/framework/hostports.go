package framework

import corev1 "k8s.io/api/core/v1"

// DefaultBindAllHostIP is the host IP of a port bound on every address.
const DefaultBindAllHostIP = "0.0.0.0"

// HostPort is a host port a pod asks for.
type HostPort struct {
	IP       string
	Protocol corev1.Protocol
	Port     int32
}

type protocolPort struct {
	protocol corev1.Protocol
	port     int32
}

// HostPorts counts the host ports in use on a node, by IP.
type HostPorts map[string]map[protocolPort]int

// HostPortsOf returns the host ports of pod's containers, with the
// defaults filled in (IP 0.0.0.0, protocol TCP).
func HostPortsOf(pod *corev1.Pod) []HostPort {
	var out []HostPort
	for i := range pod.Spec.Containers {
		for _, p := range pod.Spec.Containers[i].Ports {
			if p.HostPort <= 0 {
				continue
			}
			hp := HostPort{IP: p.HostIP, Protocol: p.Protocol, Port: p.HostPort}
			if hp.IP == "" {
				hp.IP = DefaultBindAllHostIP
			}
			if hp.Protocol == "" {
				hp.Protocol = corev1.ProtocolTCP
			}
			out = append(out, hp)
		}
	}
	return out
}

// Add records p in use.
func (h HostPorts) Add(p HostPort) {
	m := h[p.IP]
	if m == nil {
		m = map[protocolPort]int{}
		h[p.IP] = m
	}
	m[protocolPort{p.Protocol, p.Port}]++
}

// Remove releases p.
func (h HostPorts) Remove(p HostPort) {
	m := h[p.IP]
	k := protocolPort{p.Protocol, p.Port}
	if m[k] <= 1 {
		delete(m, k)
		if len(m) == 0 {
			delete(h, p.IP)
		}
		return
	}
	m[k]--
}

// Conflicts reports whether p clashes with a port in use: the same
// protocol and port on the same IP, or either side bound to 0.0.0.0.
func (h HostPorts) Conflicts(p HostPort) bool {
	k := protocolPort{p.Protocol, p.Port}
	if p.IP == DefaultBindAllHostIP {
		for _, m := range h {
			if m[k] > 0 {
				return true
			}
		}
		return false
	}
	return h[p.IP][k] > 0 || h[DefaultBindAllHostIP][k] > 0
}

// Clone returns a deep copy.
func (h HostPorts) Clone() HostPorts {
	out := make(HostPorts, len(h))
	for ip, m := range h {
		c := make(map[protocolPort]int, len(m))
		for k, v := range m {
			c[k] = v
		}
		out[ip] = c
	}
	return out
}
