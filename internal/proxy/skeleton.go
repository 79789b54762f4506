package proxy

import (
	"fmt"
	"net/netip"
	"strings"

	"sigs.k8s.io/knftables"
)

// hookChain is a base chain of the table.
type hookChain struct {
	name     string
	typ      knftables.BaseChainType
	hook     knftables.BaseChainHook
	priority knftables.BaseChainPriority
	rules    []string
}

// filterPriority runs filter checks just before DNAT, so they see the
// address the client asked for; the post-DNAT output check sees the
// rewritten one.
const (
	filterPriority   = knftables.DNATPriority + "-10"
	postDNATPriority = knftables.DNATPriority + "+10"
)

var hookChains = []hookChain{
	{filterInputChain, knftables.FilterType, knftables.InputHook, filterPriority, []string{
		"ct state new jump " + nodePortEndpointsCheck, "ct state new jump " + serviceEndpointsCheck}},
	{filterForwardChain, knftables.FilterType, knftables.ForwardHook, filterPriority, []string{
		"ct state new jump " + serviceEndpointsCheck, "ct state new jump " + clusterIPsCheckChain}},
	{filterOutputChain, knftables.FilterType, knftables.OutputHook, filterPriority, []string{
		"ct state new jump " + serviceEndpointsCheck}},
	{filterOutputPostDNAT, knftables.FilterType, knftables.OutputHook, postDNATPriority, []string{
		"ct state new jump " + clusterIPsCheckChain}},
	{natPreroutingChain, knftables.NATType, knftables.PreroutingHook, knftables.DNATPriority, []string{"jump " + servicesChain}},
	{natOutputChain, knftables.NATType, knftables.OutputHook, knftables.DNATPriority, []string{"jump " + servicesChain}},
	{natPostroutingChain, knftables.NATType, knftables.PostroutingHook, knftables.SNATPriority, []string{"jump " + masqueradingChain}},
}

const (
	vipMapType      = "ipv4_addr . inet_proto . inet_service : verdict"
	nodePortMapType = "inet_proto . inet_service : verdict"
)

var fixedMaps = map[string]string{
	serviceIPsMap: vipMapType, noEndpointServicesMap: vipMapType,
	serviceNodePortsMap: nodePortMapType, noEndpointNodePortsMap: nodePortMapType,
}

var fixedSets = []string{clusterIPsSet, nodePortIPsSet}

// regularChains returns the fixed non-base chains and their rules.
func (p *Proxier) regularChains() map[string][]string {
	clusterIPsCheck := []string{"ip daddr @" + clusterIPsSet + " reject"}
	if len(p.cfg.NodeLocalServiceIPs) > 0 {
		// Node-local servers own these; their traffic is not ours to drop.
		clusterIPsCheck = append([]string{"ip daddr " + addrSet(p.cfg.NodeLocalServiceIPs) + " return"}, clusterIPsCheck...)
	}
	clusterIPsCheck = append(clusterIPsCheck, fmt.Sprintf("ip daddr %s drop", p.cfg.ServiceCIDR))
	return map[string][]string{
		servicesChain: {
			"ip daddr . meta l4proto . th dport vmap @" + serviceIPsMap,
			"ip daddr @" + nodePortIPsSet + " meta l4proto . th dport vmap @" + serviceNodePortsMap,
		},
		masqueradingChain: {
			"meta mark & " + masqMark + " == 0 return",
			"meta mark set meta mark ^ " + masqMark,
			"masquerade fully-random",
		},
		markMasqChain:          {"meta mark set meta mark | " + masqMark},
		serviceEndpointsCheck:  {"ip daddr . meta l4proto . th dport vmap @" + noEndpointServicesMap},
		nodePortEndpointsCheck: {"ip daddr @" + nodePortIPsSet + " meta l4proto . th dport vmap @" + noEndpointNodePortsMap},
		clusterIPsCheckChain:   clusterIPsCheck,
		rejectChain:            {"reject"},
	}
}

// writeSkeleton (re)writes the table's fixed part and empties its maps
// and sets; a full sync then adds every service back.
func (p *Proxier) writeSkeleton(tx *knftables.Transaction) {
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("skiff service proxy")})
	for name, typ := range fixedMaps {
		tx.Add(&knftables.Map{Name: name, Type: typ})
		tx.Flush(&knftables.Map{Name: name})
	}
	for _, name := range fixedSets {
		tx.Add(&knftables.Set{Name: name, Type: "ipv4_addr"})
		tx.Flush(&knftables.Set{Name: name})
	}
	for _, ip := range p.cfg.NodeIPs {
		tx.Add(&knftables.Element{Set: nodePortIPsSet, Key: []string{ip.String()}})
	}
	regular := p.regularChains()
	for name := range regular {
		tx.Add(&knftables.Chain{Name: name})
	}
	for _, c := range hookChains {
		tx.Add(&knftables.Chain{Name: c.name, Type: &c.typ, Hook: &c.hook, Priority: &c.priority})
		writeRules(tx, c.name, c.rules)
	}
	for name, rules := range regular {
		writeRules(tx, name, rules)
	}
}

// skeletonNames are the chains, sets and maps a full sync must not
// treat as stale.
func (p *Proxier) skeletonNames() map[string]bool {
	names := map[string]bool{}
	for _, c := range hookChains {
		names[c.name] = true
	}
	for name := range p.regularChains() {
		names[name] = true
	}
	for name := range fixedMaps {
		names[name] = true
	}
	for _, name := range fixedSets {
		names[name] = true
	}
	return names
}

// writeRules replaces the rules of an existing chain.
func writeRules(tx *knftables.Transaction, chain string, rules []string) {
	tx.Flush(&knftables.Chain{Name: chain})
	for _, r := range rules {
		tx.Add(&knftables.Rule{Chain: chain, Rule: r})
	}
}

func addrSet(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return "{ " + strings.Join(s, ", ") + " }"
}
