package proxy

import (
	"context"
	"net/netip"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/knftables"
)

func TestRunFollowsChangesAndStops(t *testing.T) {
	nft := knftables.NewFake(knftables.IPv4Family, DefaultTable)
	client := fake.NewClientset(web().obj())
	p, err := New(Config{Client: client, NodeName: testNode, NodeIPs: []netip.Addr{netip.MustParseAddr("192.168.1.10")}, nft: nft})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	waitElement(t, nft, noEndpointServicesMap, "goto reject-chain")
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Create(ctx, twoEndpoints().obj(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitElement(t, nft, serviceIPsMap, "goto "+webChain)

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after its context ended, want nil", err)
	}
	if _, err := nft.List(t.Context(), "chains"); err != nil {
		t.Errorf("Run removed the table on exit: %v", err)
	}
}

// waitElement waits until map m holds 10.43.0.10:80/tcp with value want.
func waitElement(t *testing.T, nft *knftables.Fake, m, want string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		elems, err := nft.ListElements(ctx, "map", m)
		if err != nil {
			return false, nil
		}
		for _, e := range elems {
			if len(e.Value) == 1 && e.Value[0] == want && e.Key[0] == "10.43.0.10" && e.Key[1] == "tcp" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("map %s never held %q: %v", m, want, err)
	}
}

func TestResyncAfterGrowsWithSlowFullSyncs(t *testing.T) {
	p := &Proxier{cfg: Config{SyncPeriod: 30 * time.Second}}
	for _, c := range []struct{ last, want time.Duration }{
		{0, 30 * time.Second},
		{2 * time.Second, 30 * time.Second},
		{107 * time.Second, 1070 * time.Second},
	} {
		p.lastFull = c.last
		if got := p.resyncAfter(); got != c.want {
			t.Errorf("full sync took %v: next in %v, want %v", c.last, got, c.want)
		}
	}
}
