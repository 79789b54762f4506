package proxy

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/knftables"
)

const (
	webChain = "service-ns/web/tcp/http"
	webLocal = "local-ns/web/tcp/http"
	webExt   = "external-ns/web/tcp/http"
	ep1Chain = "endpoint-ns/web/tcp/http__10.42.1.2/8080"
	ep2Chain = "endpoint-ns/web/tcp/http__10.42.2.3/8080"
	masqWeb  = "ip daddr 10.43.0.10 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade"
)

func web() *svcBuilder {
	return makeService("web", "10.43.0.10").port("http", corev1.ProtocolTCP, 80, 0)
}

// twoEndpoints has one endpoint on this node and one elsewhere.
func twoEndpoints() *sliceBuilder {
	return makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).ready("10.42.1.2", testNode).ready("10.42.2.3", "n2")
}

func TestClusterIPBalancesOverEndpoints(t *testing.T) {
	h := newHarness(t, Config{}, web().obj(), twoEndpoints().obj())

	if got := h.element(serviceIPsMap, "10.43.0.10", "tcp", "80"); got != "goto "+webChain {
		t.Errorf("service-ips element = %q", got)
	}
	if !h.inSet(clusterIPsSet, "10.43.0.10") {
		t.Error("cluster IP missing from cluster-ips")
	}
	want := []string{masqWeb, "numgen random mod 2 vmap { 0 : goto " + ep1Chain + " , 1 : goto " + ep2Chain + " }"}
	if diff := cmp.Diff(want, h.rules(webChain)); diff != "" {
		t.Errorf("service chain (-want +got):\n%s", diff)
	}
	wantEp := []string{"ip saddr 10.42.1.2 jump mark-for-masquerade", "meta l4proto tcp dnat to 10.42.1.2:8080"}
	if diff := cmp.Diff(wantEp, h.rules(ep1Chain)); diff != "" {
		t.Errorf("endpoint chain (-want +got):\n%s", diff)
	}
}

func TestNoEndpointsRejects(t *testing.T) {
	h := newHarness(t, Config{}, web().obj())

	if got := h.element(noEndpointServicesMap, "10.43.0.10", "tcp", "80"); got != "goto reject-chain" {
		t.Errorf("no-endpoint-services element = %q, want reject", got)
	}
	if got := h.element(serviceIPsMap, "10.43.0.10", "tcp", "80"); got != "" {
		t.Errorf("service-ips has %q for a service without endpoints", got)
	}
	if h.hasChain(webChain) {
		t.Error("service chain written for a service without endpoints")
	}
}

func TestTerminatingEndpoints(t *testing.T) {
	tests := []struct {
		name  string
		slice *sliceBuilder
		want  []string // endpoint chains balanced over
	}{{
		name: "serving terminating used when none is ready",
		slice: makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).
			endpoint("10.42.1.2", testNode, false, true, true).endpoint("10.42.2.3", "n2", false, false, true),
		want: []string{ep1Chain},
	}, {
		name: "ready preferred over terminating",
		slice: makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).
			endpoint("10.42.1.2", testNode, false, true, true).ready("10.42.2.3", "n2"),
		want: []string{ep2Chain},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{}, web().obj(), tt.slice.obj())
			want := []string{masqWeb, "numgen random mod 1 vmap { 0 : goto " + tt.want[0] + " }"}
			if diff := cmp.Diff(want, h.rules(webChain)); diff != "" {
				t.Errorf("service chain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoServingEndpointRejects(t *testing.T) {
	notServing := makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).endpoint("10.42.1.2", testNode, false, false, true)
	h := newHarness(t, Config{}, web().obj(), notServing.obj())
	if got := h.element(noEndpointServicesMap, "10.43.0.10", "tcp", "80"); got != "goto reject-chain" {
		t.Errorf("no-endpoint-services element = %q, want reject", got)
	}
}

func TestNodePort(t *testing.T) {
	svc := makeService("web", "10.43.0.10").port("http", corev1.ProtocolTCP, 80, 30080)
	h := newHarness(t, Config{}, svc.obj(), twoEndpoints().obj())

	if got := h.element(serviceNodePortsMap, "tcp", "30080"); got != "goto "+webExt {
		t.Errorf("service-nodeports element = %q", got)
	}
	if !h.inSet(nodePortIPsSet, "192.168.1.10") {
		t.Error("node IP missing from nodeport-ips")
	}
	if diff := cmp.Diff([]string{"jump mark-for-masquerade", "goto " + webChain}, h.rules(webExt)); diff != "" {
		t.Errorf("external chain (-want +got):\n%s", diff)
	}
}

func TestExternalAddresses(t *testing.T) {
	svc := web().lbIngress("192.0.2.7").externalIP("198.51.100.9")
	h := newHarness(t, Config{}, svc.obj(), twoEndpoints().obj())
	for _, ip := range []string{"192.0.2.7", "198.51.100.9"} {
		if got := h.element(serviceIPsMap, ip, "tcp", "80"); got != "goto "+webExt {
			t.Errorf("service-ips element for %s = %q", ip, got)
		}
	}
	if h.inSet(clusterIPsSet, "192.0.2.7") {
		t.Error("external address in cluster-ips")
	}
}

func TestSessionAffinity(t *testing.T) {
	h := newHarness(t, Config{}, web().affinity(60).obj(), twoEndpoints().obj())
	aff1 := "affinity-ns/web/tcp/http__10.42.1.2/8080"
	set := h.nft.Table.Sets[aff1]
	if set == nil || set.Timeout == nil || *set.Timeout != time.Minute {
		t.Fatalf("affinity set %s = %+v, want a 60s timeout", aff1, set)
	}
	rules := h.rules(webChain)
	if !slices.Contains(rules, "ip saddr @"+aff1+" goto "+ep1Chain) {
		t.Errorf("service chain lacks the affinity lookup: %q", rules)
	}
	if !slices.Contains(h.rules(ep1Chain), "update @"+aff1+" { ip saddr }") {
		t.Errorf("endpoint chain does not record the client: %q", h.rules(ep1Chain))
	}
}

func TestExternalTrafficPolicyLocal(t *testing.T) {
	svc := makeService("web", "10.43.0.10").port("http", corev1.ProtocolTCP, 80, 30080).externalLocal()
	h := newHarness(t, Config{}, svc.obj(), twoEndpoints().obj())

	wantExt := []string{
		"ip saddr 10.42.0.0/16 goto " + webChain,
		"fib saddr type local jump mark-for-masquerade",
		"fib saddr type local goto " + webChain,
		"goto " + webLocal,
	}
	if diff := cmp.Diff(wantExt, h.rules(webExt)); diff != "" {
		t.Errorf("external chain (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"numgen random mod 1 vmap { 0 : goto " + ep1Chain + " }"}, h.rules(webLocal)); diff != "" {
		t.Errorf("local chain (-want +got):\n%s", diff)
	}
	if got := h.element(serviceIPsMap, "10.43.0.10", "tcp", "80"); got != "goto "+webChain {
		t.Errorf("ClusterIP should still use every endpoint, got %q", got)
	}
}

func TestExternalTrafficPolicyLocalWithoutLocalEndpointDrops(t *testing.T) {
	svc := makeService("web", "10.43.0.10").port("http", corev1.ProtocolTCP, 80, 30080).externalLocal()
	remote := makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).ready("10.42.2.3", "n2")
	h := newHarness(t, Config{}, svc.obj(), remote.obj())
	if got := h.element(noEndpointNodePortsMap, "tcp", "30080"); got != "drop" {
		t.Errorf("no-endpoint-nodeports element = %q, want drop", got)
	}
	if h.hasChain(webLocal) {
		t.Error("local chain written without local endpoints")
	}
}

func TestInternalTrafficPolicyLocal(t *testing.T) {
	h := newHarness(t, Config{}, web().internalLocal().obj(), twoEndpoints().obj())
	if got := h.element(serviceIPsMap, "10.43.0.10", "tcp", "80"); got != "goto "+webLocal {
		t.Errorf("service-ips element = %q, want the local chain", got)
	}
	if diff := cmp.Diff([]string{"numgen random mod 1 vmap { 0 : goto " + ep1Chain + " }"}, h.rules(webLocal)); diff != "" {
		t.Errorf("local chain (-want +got):\n%s", diff)
	}

	remote := makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).ready("10.42.2.3", "n2")
	h = newHarness(t, Config{}, web().internalLocal().obj(), remote.obj())
	if got := h.element(noEndpointServicesMap, "10.43.0.10", "tcp", "80"); got != "drop" {
		t.Errorf("no local endpoint: no-endpoint-services element = %q, want drop", got)
	}
}

func TestNodeLocalServiceIPsUnprogrammed(t *testing.T) {
	dns := makeService("dns", "10.43.0.10").port("dns", corev1.ProtocolUDP, 53, 0)
	h := newHarness(t, Config{NodeLocalServiceIPs: []netip.Addr{netip.MustParseAddr("10.43.0.10")}}, dns.obj())
	if h.inSet(clusterIPsSet, "10.43.0.10") || h.element(noEndpointServicesMap, "10.43.0.10", "udp", "53") != "" {
		t.Error("node-local service IP was programmed")
	}
	if got := h.rules(clusterIPsCheckChain)[0]; got != "ip daddr { 10.43.0.10 } return" {
		t.Errorf("cluster-ips-check starts with %q, want the node-local exemption", got)
	}
}

func TestNamedTargetPortsAndProtocols(t *testing.T) {
	svc := makeService("multi", "10.43.0.20").port("dns", corev1.ProtocolUDP, 53, 0).port("sig", corev1.ProtocolSCTP, 9000, 0)
	s := makeSlice("multi", "multi-1").port("dns", corev1.ProtocolUDP, 5353).port("sig", corev1.ProtocolSCTP, 9999).ready("10.42.1.2", testNode)
	h := newHarness(t, Config{}, svc.obj(), s.obj())
	if got := h.rules("endpoint-ns/multi/udp/dns__10.42.1.2/5353"); len(got) == 0 || got[len(got)-1] != "meta l4proto udp dnat to 10.42.1.2:5353" {
		t.Errorf("udp endpoint chain = %q", got)
	}
	if got := h.element(serviceIPsMap, "10.43.0.20", "sctp", "9000"); got != "goto service-ns/multi/sctp/sig" {
		t.Errorf("sctp service-ips element = %q", got)
	}
}

func TestEndpointChangeTouchesOnlyItsService(t *testing.T) {
	other := makeService("other", "10.43.0.11").port("http", corev1.ProtocolTCP, 80, 0)
	otherSlice := makeSlice("other", "other-1").port("http", corev1.ProtocolTCP, 8080).ready("10.42.3.4", "n2")
	one := makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).ready("10.42.1.2", testNode)
	h := newHarness(t, Config{}, web().obj(), one.obj(), other.obj(), otherSlice.obj())

	if _, err := h.client.DiscoveryV1().EndpointSlices("ns").Update(h.ctx, twoEndpoints().obj(), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDirty(t, h.p, "web")
	h.partialSync()

	tx := h.nft.LastTransaction
	// New endpoint chain: add, flush, 2 rules; service chain: flush, 2 rules.
	if n := tx.NumOperations(); n != 7 {
		t.Errorf("transaction has %d operations, want 7:\n%s", n, tx)
	}
	if strings.Contains(tx.String(), "other") {
		t.Errorf("transaction touches the other service:\n%s", tx)
	}
	if len(h.rules(ep2Chain)) == 0 {
		t.Error("new endpoint chain missing")
	}
}

func TestServiceDeletionRemovesItsChains(t *testing.T) {
	svc := makeService("web", "10.43.0.10").port("http", corev1.ProtocolUDP, 80, 30080)
	s := makeSlice("web", "web-1").port("http", corev1.ProtocolUDP, 8080).ready("10.42.1.2", testNode)
	h := newHarness(t, Config{}, svc.obj(), s.obj())
	if len(h.chainsWithPrefix("endpoint-ns/web/")) == 0 {
		t.Fatal("service not programmed")
	}
	if err := h.client.CoreV1().Services("ns").Delete(h.ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDirty(t, h.p, "web")
	h.partialSync()

	for _, prefix := range []string{"service-ns/web/", "external-ns/web/", "endpoint-ns/web/"} {
		if got := h.chainsWithPrefix(prefix); len(got) > 0 {
			t.Errorf("chains left after deletion: %q", got)
		}
	}
	if h.element(serviceIPsMap, "10.43.0.10", "udp", "80") != "" || h.element(serviceNodePortsMap, "udp", "30080") != "" {
		t.Error("map elements left after deletion")
	}
	want := [][]string{{"-D", "-p", "udp", "--dst-nat", "10.42.1.2"}}
	if diff := cmp.Diff(want, h.conntrack); diff != "" {
		t.Errorf("conntrack calls (-want +got):\n%s", diff)
	}
}

func TestFullSyncRemovesStaleObjects(t *testing.T) {
	h := newHarness(t, Config{}, web().obj(), twoEndpoints().obj())
	tx := h.nft.NewTransaction()
	tx.Add(&knftables.Chain{Name: "service-ns/gone/tcp/p80"})
	if err := h.nft.Run(h.ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := h.p.fullSync(h.ctx); err != nil {
		t.Fatal(err)
	}
	if h.hasChain("service-ns/gone/tcp/p80") {
		t.Error("stale chain survived a full sync")
	}
	if !h.hasChain(webChain) {
		t.Error("live chain removed by a full sync")
	}
}

func TestDeleteTable(t *testing.T) {
	h := newHarness(t, Config{}, web().obj())
	if err := deleteTable(h.ctx, h.nft); err != nil {
		t.Fatal(err)
	}
	if h.nft.Table != nil {
		t.Error("table still there")
	}
	if err := deleteTable(h.ctx, h.nft); err != nil {
		t.Errorf("deleting a missing table: %v", err)
	}
}

func TestUDPServiceGainingEndpointsFlushesRejectedFlows(t *testing.T) {
	dns := makeService("dns", "10.43.0.10").port("dns", corev1.ProtocolUDP, 53, 30053)
	h := newHarness(t, Config{}, dns.obj())
	s := makeSlice("dns", "dns-1").port("dns", corev1.ProtocolUDP, 5353).ready("10.42.1.2", testNode)
	if _, err := h.client.DiscoveryV1().EndpointSlices("ns").Create(h.ctx, s.obj(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDirty(t, h.p, "dns")
	h.partialSync()
	want := [][]string{
		{"-D", "-p", "udp", "--orig-port-dst", "30053"},
		{"-D", "-p", "udp", "--orig-dst", "10.43.0.10", "--orig-port-dst", "53"},
	}
	if diff := cmp.Diff(want, h.conntrack); diff != "" {
		t.Errorf("conntrack calls (-want +got):\n%s", diff)
	}
}

func TestHeadlessServiceIgnored(t *testing.T) {
	headless := makeService("web", corev1.ClusterIPNone).port("http", corev1.ProtocolTCP, 80, 0)
	h := newHarness(t, Config{}, headless.obj(), twoEndpoints().obj())
	if got := h.chainsWithPrefix("endpoint-ns/web/"); len(got) > 0 {
		t.Errorf("headless service programmed: %q", got)
	}
}
