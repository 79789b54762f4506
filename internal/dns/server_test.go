package dns

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"
)

const tcp, udp = corev1.ProtocolTCP, corev1.ProtocolUDP

// fixtureClient holds one service of each kind.
func fixtureClient() *fake.Clientset {
	return fake.NewClientset(
		makeService("default", "web").clusterIPs("10.96.0.10", "fd00::10").port("http", tcp, 80).port("dns", udp, 53).obj(),
		makeService("default", "db").headless().port("pg", tcp, 5432).obj(),
		makeSlice("default", "db-abc", "db").ep("10.1.0.1", true, "db-0").ep("10.1.0.2", true, "").ep("10.1.0.3", false, "db-2").port("pg", tcp, 5432).obj(),
		makeService("default", "all").headless().publishNotReady().obj(),
		makeSlice("default", "all-x", "all").ep("10.2.0.1", true, "").ep("10.2.0.2", false, "").obj(),
		makeService("default", "empty").headless().obj(),
		makeSlice("default", "empty-x", "empty").ep("10.4.0.1", false, "").obj(),
		makeService("default", "ext").externalName("example.com").obj(),
	)
}

func TestClusterRecords(t *testing.T) {
	up := startUpstream(t)
	addr := startServer(t, fixtureClient(), up.addr)
	const d = ".cluster.local."
	tests := []struct {
		name  string
		qname string
		qtype uint16
		rcode int
		want  []string
	}{
		{"clusterIP A", "web.default.svc" + d, dns.TypeA, dns.RcodeSuccess, []string{"web.default.svc.cluster.local. A 10.96.0.10"}},
		{"clusterIP AAAA", "WEB.default.svc" + d, dns.TypeAAAA, dns.RcodeSuccess, []string{"web.default.svc.cluster.local. AAAA fd00::10"}},
		{"headless ready only", "db.default.svc" + d, dns.TypeA, dns.RcodeSuccess, []string{"db.default.svc.cluster.local. A 10.1.0.1", "db.default.svc.cluster.local. A 10.1.0.2"}},
		{"headless publishNotReady", "all.default.svc" + d, dns.TypeA, dns.RcodeSuccess, []string{"all.default.svc.cluster.local. A 10.2.0.1", "all.default.svc.cluster.local. A 10.2.0.2"}},
		{"endpoint hostname", "db-0.db.default.svc" + d, dns.TypeA, dns.RcodeSuccess, []string{"db-0.db.default.svc.cluster.local. A 10.1.0.1"}},
		{"endpoint dashed address", "10-1-0-2.db.default.svc" + d, dns.TypeA, dns.RcodeSuccess, []string{"10-1-0-2.db.default.svc.cluster.local. A 10.1.0.2"}},
		{"not ready hostname", "db-2.db.default.svc" + d, dns.TypeA, dns.RcodeNameError, []string{}},
		{"SRV clusterIP", "_http._tcp.web.default.svc" + d, dns.TypeSRV, dns.RcodeSuccess, []string{"_http._tcp.web.default.svc.cluster.local. SRV 0 100 80 web.default.svc.cluster.local."}},
		{"SRV headless", "_pg._tcp.db.default.svc" + d, dns.TypeSRV, dns.RcodeSuccess, []string{
			"_pg._tcp.db.default.svc.cluster.local. SRV 0 50 5432 10-1-0-2.db.default.svc.cluster.local.",
			"_pg._tcp.db.default.svc.cluster.local. SRV 0 50 5432 db-0.db.default.svc.cluster.local.",
		}},
		{"SRV wrong proto", "_http._udp.web.default.svc" + d, dns.TypeSRV, dns.RcodeNameError, []string{}},
		{"ExternalName CNAME", "ext.default.svc" + d, dns.TypeCNAME, dns.RcodeSuccess, []string{"ext.default.svc.cluster.local. CNAME example.com."}},
		{"ExternalName A follows target", "ext.default.svc" + d, dns.TypeA, dns.RcodeSuccess, []string{"example.com. A 192.0.2.1", "ext.default.svc.cluster.local. CNAME example.com."}},
		{"PTR clusterIP", "10.0.96.10.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, []string{"10.0.96.10.in-addr.arpa. PTR web.default.svc.cluster.local."}},
		{"PTR headless endpoint", "1.0.1.10.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, []string{"1.0.1.10.in-addr.arpa. PTR db-0.db.default.svc.cluster.local."}},
		{"pod A", "10-244-1-5.default.pod" + d, dns.TypeA, dns.RcodeSuccess, []string{"10-244-1-5.default.pod.cluster.local. A 10.244.1.5"}},
		{"pod AAAA", "fd00--5.default.pod" + d, dns.TypeAAAA, dns.RcodeSuccess, []string{"fd00--5.default.pod.cluster.local. AAAA fd00::5"}},
		{"missing service", "nope.default.svc" + d, dns.TypeA, dns.RcodeNameError, []string{}},
		{"missing namespace", "nons.svc" + d, dns.TypeA, dns.RcodeNameError, []string{}},
		{"unknown subtree", "foo" + d, dns.TypeA, dns.RcodeNameError, []string{}},
		{"NODATA type", "web.default.svc" + d, dns.TypeMX, dns.RcodeSuccess, []string{}},
		{"NODATA family", "db.default.svc" + d, dns.TypeAAAA, dns.RcodeSuccess, []string{}},
		{"NODATA namespace", "default.svc" + d, dns.TypeA, dns.RcodeSuccess, []string{}},
		{"apex SOA", "cluster.local.", dns.TypeSOA, dns.RcodeSuccess, []string{"cluster.local. SOA ns.dns.cluster.local. hostmaster.cluster.local."}},
		{"apex NS", "cluster.local.", dns.TypeNS, dns.RcodeSuccess, []string{"cluster.local. NS ns.dns.cluster.local."}},
		{"schema version", "dns-version" + d, dns.TypeTXT, dns.RcodeSuccess, []string{`dns-version.cluster.local. TXT "1.1.0"`}},
		{"headless without ready endpoints", "empty.default.svc" + d, dns.TypeA, dns.RcodeNameError, []string{}},
		{"ns.dns", "ns.dns" + d, dns.TypeA, dns.RcodeSuccess, []string{"ns.dns.cluster.local. A 127.0.0.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := query(t, addr, "udp", tc.qname, tc.qtype)
			if r.Rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
			got := rrTexts(r.Answer)
			if tc.qtype == dns.TypeSOA { // the serial and timers follow the name
				got = []string{got[0][:len(tc.want[0])]}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if !r.Authoritative || !r.RecursionAvailable {
				t.Errorf("AA = %v, RA = %v, want both", r.Authoritative, r.RecursionAvailable)
			}
			if len(r.Answer) == 0 && (len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA) {
				t.Errorf("negative answer authority = %v, want the zone SOA", r.Ns)
			}
		})
	}
}

func TestSRVGlue(t *testing.T) {
	addr := startServer(t, fixtureClient(), freeAddr(t))
	r := query(t, addr, "udp", "_pg._tcp.db.default.svc.cluster.local.", dns.TypeSRV)
	want := []string{"10-1-0-2.db.default.svc.cluster.local. A 10.1.0.2", "db-0.db.default.svc.cluster.local. A 10.1.0.1"}
	if diff := cmp.Diff(want, rrTexts(r.Extra)); diff != "" {
		t.Errorf("additional (-want +got):\n%s", diff)
	}
}

func TestTCPQuery(t *testing.T) {
	addr := startServer(t, fixtureClient(), freeAddr(t))
	r := query(t, addr, "tcp", "web.default.svc.cluster.local.", dns.TypeA)
	if diff := cmp.Diff([]string{"web.default.svc.cluster.local. A 10.96.0.10"}, rrTexts(r.Answer)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}

func TestRunReportsBindFailure(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s, err := New(Config{Client: fake.NewClientset(), Addrs: []string{busy.LocalAddr().String()}, Upstreams: []string{freeAddr(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen udp") {
		t.Errorf("Run on a busy port = %v, want a listen error", err)
	}
}

func TestNewValidates(t *testing.T) {
	client := fake.NewClientset()
	for name, cfg := range map[string]Config{
		"no client":      {Addrs: []string{"127.0.0.1:53"}, Upstreams: []string{"127.0.0.1:5353"}},
		"no addrs":       {Client: client, Upstreams: []string{"127.0.0.1:5353"}},
		"bad addr":       {Client: client, Addrs: []string{"localhost"}, Upstreams: []string{"127.0.0.1:5353"}},
		"bad upstream":   {Client: client, Addrs: []string{"127.0.0.1:53"}, Upstreams: []string{"dns.example"}},
		"no resolv.conf": {Client: client, Addrs: []string{"127.0.0.1:53"}, ResolvConf: "/nonexistent/resolv.conf"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
}

func TestUpstreamsFromResolvConf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte("nameserver 127.0.0.53\nnameserver 127.0.0.1\nnameserver ::1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Client: fake.NewClientset(), Addrs: []string{"127.0.0.1:53"}, ResolvConf: path})
	if err != nil {
		t.Fatal(err)
	}
	// The server's own address is left out so it never forwards to itself.
	if diff := cmp.Diff([]string{"127.0.0.53:53", "[::1]:53"}, s.fwd.upstreams); diff != "" {
		t.Errorf("upstreams (-want +got):\n%s", diff)
	}
}
