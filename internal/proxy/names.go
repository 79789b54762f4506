package proxy

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/types"
)

// Fixed chains, sets and maps of the table; the names are kube-proxy's.
const (
	natPreroutingChain     = "nat-prerouting"
	natOutputChain         = "nat-output"
	natPostroutingChain    = "nat-postrouting"
	filterInputChain       = "filter-input"
	filterForwardChain     = "filter-forward"
	filterOutputChain      = "filter-output"
	filterOutputPostDNAT   = "filter-output-post-dnat"
	servicesChain          = "services"
	masqueradingChain      = "masquerading"
	markMasqChain          = "mark-for-masquerade"
	serviceEndpointsCheck  = "service-endpoints-check"
	nodePortEndpointsCheck = "nodeport-endpoints-check"
	clusterIPsCheckChain   = "cluster-ips-check"
	rejectChain            = "reject-chain"

	clusterIPsSet          = "cluster-ips"
	nodePortIPsSet         = "nodeport-ips"
	serviceIPsMap          = "service-ips"
	serviceNodePortsMap    = "service-nodeports"
	noEndpointServicesMap  = "no-endpoint-services"
	noEndpointNodePortsMap = "no-endpoint-nodeports"

	// masqMark is kube-proxy's --masquerade-bit 14.
	masqMark = "0x4000"
)

// portChainBase names one service port: "ns/name/proto/port", where port
// is the port's name or, when unnamed, "p" and its number.
func portChainBase(svc types.NamespacedName, p servicePort) string {
	port := p.name
	if port == "" {
		port = "p" + strconv.Itoa(int(p.port))
	}
	return fmt.Sprintf("%s/%s/%s/%s", svc.Namespace, svc.Name, p.protocol, port)
}

func clusterChainName(base string) string  { return "service-" + base }
func localChainName(base string) string    { return "local-" + base }
func externalChainName(base string) string { return "external-" + base }

func endpointChainName(base string, ep portEndpoint) string {
	return fmt.Sprintf("endpoint-%s__%s/%d", base, ep.ip, ep.port)
}

func affinitySetName(base string, ep portEndpoint) string {
	return fmt.Sprintf("affinity-%s__%s/%d", base, ep.ip, ep.port)
}
