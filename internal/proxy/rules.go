package proxy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/knftables"
)

// serviceRules is everything one Service owns in the table; the proxier
// keeps the last one written per Service to update it in place.
type serviceRules struct {
	chains   map[string][]string // chain name → its rules, in order
	elements map[string]*knftables.Element
	affinity map[string]time.Duration // affinity set → timeout
	// udpEndpoints are the UDP endpoint IPs in use, whose conntrack
	// entries are flushed when they go away.
	udpEndpoints map[netip.Addr]bool
}

func newServiceRules() *serviceRules {
	return &serviceRules{
		chains: map[string][]string{}, elements: map[string]*knftables.Element{},
		affinity: map[string]time.Duration{}, udpEndpoints: map[netip.Addr]bool{},
	}
}

func (r *serviceRules) add(e *knftables.Element) { r.elements[elementID(e)] = e }

// elementID identifies an element by its set or map and key.
func elementID(e *knftables.Element) string {
	return e.Set + e.Map + " " + strings.Join(e.Key, " . ")
}

// builder turns a Service and its slices into serviceRules.
type builder struct {
	clusterCIDR netip.Prefix
	nodeName    string
	nodeLocal   map[netip.Addr]bool
}

func (b *builder) build(key types.NamespacedName, svc *service, slices map[string]*slice) *serviceRules {
	out := newServiceRules()
	for _, p := range svc.ports {
		pl := newPortPlan(portChainBase(key, p), svc, p, endpointsFor(p, slices, b.nodeName))
		pl.serveClusterIP = !b.nodeLocal[svc.clusterIP]
		b.chains(out, svc, pl)
		b.elements(out, svc, pl)
	}
	return out
}

// portPlan is what kube-proxy decides for one service port before
// writing anything.
type portPlan struct {
	base           string
	p              servicePort
	cluster, local []portEndpoint
	// serveClusterIP is false when a node-local server owns the ClusterIP.
	serveClusterIP bool
	// internal serves the ClusterIP, external the NodePort and external
	// IPs; each is cluster or local depending on its traffic policy.
	internal, external []portEndpoint
	internalChain      string
	// useExternal: the external chain exists. It also sends in-cluster
	// and host clients of an eTP Local service to all endpoints, so it
	// exists whenever any endpoint does.
	useExternal bool
	// noEndpoints is the filter verdict for traffic nothing serves:
	// reject without any endpoint, drop when only a Local policy
	// leaves none.
	noEndpoints string
}

func newPortPlan(base string, svc *service, p servicePort, eps []portEndpoint) portPlan {
	pl := portPlan{base: base, p: p, cluster: usable(eps, anyEndpoint), local: usable(eps, localEndpoint)}
	pl.internal, pl.internalChain = pl.cluster, clusterChainName(base)
	if svc.internalLocal {
		pl.internal, pl.internalChain = pl.local, localChainName(base)
	}
	pl.external = pl.cluster
	if svc.externalLocal {
		pl.external = pl.local
	}
	pl.useExternal = (p.nodePort > 0 || len(svc.external) > 0) && len(pl.cluster) > 0
	pl.noEndpoints = "goto " + rejectChain
	if len(pl.cluster) > 0 {
		pl.noEndpoints = "drop"
	}
	return pl
}

func (b *builder) chains(out *serviceRules, svc *service, pl portPlan) {
	if len(pl.cluster) > 0 && (pl.serveClusterIP && !svc.internalLocal || pl.useExternal) {
		b.dispatch(out, clusterChainName(pl.base), svc, pl, pl.cluster, true)
	}
	if len(pl.local) > 0 && (pl.serveClusterIP && svc.internalLocal || svc.externalLocal && pl.useExternal) {
		b.dispatch(out, localChainName(pl.base), svc, pl, pl.local, false)
	}
	if pl.useExternal {
		out.chains[externalChainName(pl.base)] = b.externalRules(pl.base, svc.externalLocal, len(pl.local) > 0)
	}
}

// dispatch writes a chain balancing over eps, and their endpoint chains.
// masqOutsiders masquerades ClusterIP clients outside the pod range.
func (b *builder) dispatch(out *serviceRules, chain string, svc *service, pl portPlan, eps []portEndpoint, masqOutsiders bool) {
	var rules, targets []string
	if masqOutsiders {
		rules = append(rules, fmt.Sprintf("ip daddr %s %s dport %d ip saddr != %s jump %s",
			svc.clusterIP, pl.p.protocol, pl.p.port, b.clusterCIDR, markMasqChain))
	}
	for i, ep := range eps {
		epChain := endpointChainName(pl.base, ep)
		if svc.affinity > 0 {
			rules = append(rules, fmt.Sprintf("ip saddr @%s goto %s", affinitySetName(pl.base, ep), epChain))
		}
		targets = append(targets, fmt.Sprintf("%d : goto %s", i, epChain))
		out.chains[epChain] = b.endpointRules(out, svc, pl, ep)
	}
	rules = append(rules, fmt.Sprintf("numgen random mod %d vmap { %s }", len(eps), strings.Join(targets, " , ")))
	out.chains[chain] = rules
}

// endpointRules masquerades hairpin traffic, records the client for
// session affinity and DNATs.
func (b *builder) endpointRules(out *serviceRules, svc *service, pl portPlan, ep portEndpoint) []string {
	rules := []string{fmt.Sprintf("ip saddr %s jump %s", ep.ip, markMasqChain)}
	if svc.affinity > 0 {
		set := affinitySetName(pl.base, ep)
		out.affinity[set] = svc.affinity
		rules = append(rules, fmt.Sprintf("update @%s { ip saddr }", set))
	}
	if pl.p.protocol == "udp" {
		out.udpEndpoints[ep.ip] = true
	}
	return append(rules, fmt.Sprintf("meta l4proto %s dnat to %s", pl.p.protocol, netip.AddrPortFrom(ep.ip, uint16(ep.port))))
}

// externalRules masquerade outside traffic for the Cluster policy. For
// Local they keep the client address and serve only local endpoints,
// except for pods and the node itself, which go to every endpoint.
func (b *builder) externalRules(base string, local, hasLocal bool) []string {
	cluster := clusterChainName(base)
	if !local {
		return []string{"jump " + markMasqChain, "goto " + cluster}
	}
	rules := []string{
		fmt.Sprintf("ip saddr %s goto %s", b.clusterCIDR, cluster),
		"fib saddr type local jump " + markMasqChain,
		"fib saddr type local goto " + cluster,
	}
	if hasLocal {
		rules = append(rules, "goto "+localChainName(base))
	}
	return rules
}

// elements adds the port's map entries: a ClusterIP, external IPs and
// NodePort either lead to a service chain or, with nothing to serve
// them, to the no-endpoint maps.
func (b *builder) elements(out *serviceRules, svc *service, pl portPlan) {
	proto, port := pl.p.protocol, strconv.Itoa(int(pl.p.port))
	if pl.serveClusterIP {
		ip := svc.clusterIP
		out.add(&knftables.Element{Set: clusterIPsSet, Key: []string{ip.String()}})
		key := []string{ip.String(), proto, port}
		if len(pl.internal) > 0 {
			out.add(&knftables.Element{Map: serviceIPsMap, Key: key, Value: []string{"goto " + pl.internalChain}})
		} else {
			out.add(&knftables.Element{Map: noEndpointServicesMap, Key: key, Value: []string{pl.noEndpoints}})
		}
	}
	external := "goto " + externalChainName(pl.base)
	for _, ip := range svc.external {
		key := []string{ip.String(), proto, port}
		if pl.useExternal {
			out.add(&knftables.Element{Map: serviceIPsMap, Key: key, Value: []string{external}})
		}
		if len(pl.external) == 0 {
			out.add(&knftables.Element{Map: noEndpointServicesMap, Key: key, Value: []string{pl.noEndpoints}})
		}
	}
	if pl.p.nodePort == 0 {
		return
	}
	key := []string{proto, strconv.Itoa(int(pl.p.nodePort))}
	if pl.useExternal {
		out.add(&knftables.Element{Map: serviceNodePortsMap, Key: key, Value: []string{external}})
	}
	if len(pl.external) == 0 {
		out.add(&knftables.Element{Map: noEndpointNodePortsMap, Key: key, Value: []string{pl.noEndpoints}})
	}
}
