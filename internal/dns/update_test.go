package dns

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// waitForAnswer polls until the A answer for name equals want; the
// deadline is generous because informer events are asynchronous.
func waitForAnswer(t *testing.T, addr, name string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := rrTexts(query(t, addr, "udp", name, dns.TypeA).Answer)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("answer = %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServiceUpdatesAreServed(t *testing.T) {
	client := fake.NewClientset(makeService("default", "moving").clusterIPs("10.96.0.20").obj())
	addr := startServer(t, client, freeAddr(t))
	const name = "moving.default.svc.cluster.local."
	waitFor := func(want ...string) { t.Helper(); waitForAnswer(t, addr, name, want...) }
	waitFor(name + " A 10.96.0.20")

	ctx := context.Background()
	svc := makeService("default", "moving").clusterIPs("10.96.0.21").obj()
	if _, err := client.CoreV1().Services("default").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(name + " A 10.96.0.21")
	if r := query(t, addr, "udp", "20.0.96.10.in-addr.arpa.", dns.TypePTR); len(r.Answer) != 0 {
		t.Errorf("old ClusterIP still has PTR %v", r.Answer)
	}

	if err := client.CoreV1().Services("default").Delete(ctx, "moving", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor()
	if r := query(t, addr, "udp", name, dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("deleted service rcode = %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}

func TestEndpointSliceUpdatesAreServed(t *testing.T) {
	client := fake.NewClientset(
		makeService("default", "hl").headless().obj(),
		makeSlice("default", "hl-1", "hl").ep("10.3.0.1", true, "").ep("10.3.0.2", false, "").obj(),
	)
	addr := startServer(t, client, freeAddr(t))
	const name = "hl.default.svc.cluster.local."
	waitForAnswer(t, addr, name, name+" A 10.3.0.1")

	ctx := context.Background()
	sl := makeSlice("default", "hl-1", "hl").ep("10.3.0.2", true, "").obj()
	if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, sl, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForAnswer(t, addr, name, name+" A 10.3.0.2")

	if err := client.DiscoveryV1().EndpointSlices("default").Delete(ctx, "hl-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForAnswer(t, addr, name)
	if r := query(t, addr, "udp", name, dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("headless service without endpoints rcode = %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}
