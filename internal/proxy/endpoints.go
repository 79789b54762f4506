package proxy

import (
	"cmp"
	"net/netip"
	"slices"
)

// portEndpoint is one endpoint of one service port.
type portEndpoint struct {
	ip    netip.Addr
	port  int32
	ready bool
	// servingTerminating marks a terminating endpoint that still serves,
	// used only when no endpoint is ready.
	servingTerminating bool
	local              bool
}

// endpointsFor collects the endpoints of p from the service's slices,
// matching slice ports by name and protocol as kube-proxy does. The
// result is sorted, so rules come out the same on every sync.
func endpointsFor(p servicePort, byName map[string]*slice, node string) []portEndpoint {
	seen := map[netip.AddrPort]bool{}
	var out []portEndpoint
	for _, s := range byName {
		for _, sp := range s.ports {
			if sp.name != p.name || sp.protocol != p.protocol {
				continue
			}
			for _, e := range s.endpoints {
				ap := netip.AddrPortFrom(e.ip, uint16(sp.port))
				if seen[ap] {
					continue
				}
				seen[ap] = true
				out = append(out, portEndpoint{
					ip: e.ip, port: sp.port, ready: e.ready,
					servingTerminating: e.serving && e.terminating,
					local:              node != "" && e.nodeName == node,
				})
			}
		}
	}
	slices.SortFunc(out, func(a, b portEndpoint) int {
		return cmp.Or(a.ip.Compare(b.ip), cmp.Compare(a.port, b.port))
	})
	return out
}

// usable picks the ready endpoints among eps accepted by keep or, when
// none is ready, the serving terminating ones (Kubernetes'
// ProxyTerminatingEndpoints behaviour).
func usable(eps []portEndpoint, keep func(portEndpoint) bool) []portEndpoint {
	var ready, terminating []portEndpoint
	for _, e := range eps {
		switch {
		case !keep(e):
		case e.ready:
			ready = append(ready, e)
		case e.servingTerminating:
			terminating = append(terminating, e)
		}
	}
	if len(ready) > 0 {
		return ready
	}
	return terminating
}

func anyEndpoint(portEndpoint) bool     { return true }
func localEndpoint(e portEndpoint) bool { return e.local }
