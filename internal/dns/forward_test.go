package dns

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	"k8s.io/client-go/kubernetes/fake"
)

func TestForwardAndCache(t *testing.T) {
	up := startUpstream(t)
	dead := freeAddr(t) // nothing listens: the forwarder must move on
	addr := startServer(t, fake.NewClientset(), dead, up.addr)

	for i := range 2 {
		r := query(t, addr, "udp", "example.com.", dns.TypeA)
		if diff := cmp.Diff([]string{"example.com. A 192.0.2.1"}, rrTexts(r.Answer)); diff != "" {
			t.Errorf("query %d answer (-want +got):\n%s", i, diff)
		}
		if !r.RecursionAvailable || r.Authoritative {
			t.Errorf("query %d: RA = %v, AA = %v, want RA only", i, r.RecursionAvailable, r.Authoritative)
		}
	}
	if udp, _ := up.hits(); udp != 1 {
		t.Errorf("upstream got %d queries for two identical ones, want 1 (second from cache)", udp)
	}

	for range 2 {
		if r := query(t, addr, "udp", "missing.example.", dns.TypeA); r.Rcode != dns.RcodeNameError {
			t.Errorf("rcode = %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
		}
	}
	if udp, _ := up.hits(); udp != 1 {
		t.Errorf("upstream got %d queries for two NXDOMAINs, want 1 (negative answer cached)", udp)
	}

	// A reverse name of an address no service owns is not ours.
	if r := query(t, addr, "udp", "9.9.9.10.in-addr.arpa.", dns.TypePTR); r.Rcode != dns.RcodeNameError {
		t.Errorf("unknown PTR rcode = %s, want upstream's NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
	if udp, _ := up.hits(); udp != 1 {
		t.Errorf("upstream got %d queries for an unknown PTR, want 1", udp)
	}
}

func TestForwardSkipsRefusingUpstream(t *testing.T) {
	refusing := serveUpstream(t, &fakeUpstream{refuse: true})
	up := startUpstream(t)
	addr := startServer(t, fake.NewClientset(), refusing.addr, up.addr)
	r := query(t, addr, "udp", "example.com.", dns.TypeA)
	if diff := cmp.Diff([]string{"example.com. A 192.0.2.1"}, rrTexts(r.Answer)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	refused, _ := refusing.hits()
	answered, _ := up.hits()
	if refused != 1 || answered != 1 {
		t.Errorf("hits: refusing=%d answering=%d, want 1 each", refused, answered)
	}
}

func TestForwardTruncation(t *testing.T) {
	up := startUpstream(t)
	addr := startServer(t, fake.NewClientset(), up.addr)

	// 100 records do not fit the forwarder's UDP buffer: it retries over TCP.
	r := query(t, addr, "tcp", "huge.example.", dns.TypeA)
	if len(r.Answer) != 100 || r.Truncated {
		t.Errorf("TCP answer has %d records (TC=%v), want 100", len(r.Answer), r.Truncated)
	}
	if udp, tcp := up.hits(); udp != 1 || tcp != 1 {
		t.Errorf("upstream hits udp=%d tcp=%d, want 1 and 1", udp, tcp)
	}

	// 40 records fit EDNS0 buffers but not plain 512-byte UDP.
	r = query(t, addr, "udp", "big.example.", dns.TypeA)
	if !r.Truncated || len(r.Answer) >= 40 {
		t.Errorf("plain UDP answer has %d records (TC=%v), want fewer than 40 and TC", len(r.Answer), r.Truncated)
	}
	m := new(dns.Msg).SetQuestion("big.example.", dns.TypeA).SetEdns0(4096, false)
	r, _, err := (&dns.Client{Net: "udp", Timeout: 5 * time.Second}).Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Truncated || len(r.Answer) != 40 || r.IsEdns0() == nil {
		t.Errorf("EDNS0 answer has %d records (TC=%v, OPT=%v), want 40, no TC, an OPT", len(r.Answer), r.Truncated, r.IsEdns0() != nil)
	}
}

func TestCacheTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache(30 * time.Second)
	c.now = func() time.Time { return now }
	m := new(dns.Msg).SetQuestion("a.example.", dns.TypeA)
	rr, _ := dns.NewRR("a.example. 20 IN A 192.0.2.1")
	m.Answer = []dns.RR{rr}
	k := keyOf(m.Question[0], false)
	c.put(k, m)

	now = now.Add(15 * time.Second)
	got := c.get(k)
	if got == nil || got.Answer[0].Header().Ttl != 5 {
		t.Fatalf("after 15s: %v, want the answer with TTL 5", got)
	}
	now = now.Add(5 * time.Second)
	if got := c.get(k); got != nil {
		t.Errorf("after 20s: %v, want expired", got)
	}

	rr.Header().Ttl = 3600
	c.put(k, m)
	now = now.Add(30 * time.Second)
	if got := c.get(k); got != nil {
		t.Errorf("TTL 3600 served after CacheTTL 30s: %v", got)
	}
}
