package dns

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// svcBuilder builds test Services: makeService("ns", "name").ports(...).obj().
type svcBuilder struct{ s *corev1.Service }

func makeService(ns, name string) svcBuilder {
	return svcBuilder{&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}
}

func (b svcBuilder) clusterIPs(ips ...string) svcBuilder {
	b.s.Spec.ClusterIP, b.s.Spec.ClusterIPs = ips[0], ips
	return b
}

func (b svcBuilder) headless() svcBuilder { return b.clusterIPs(corev1.ClusterIPNone) }

func (b svcBuilder) publishNotReady() svcBuilder {
	b.s.Spec.PublishNotReadyAddresses = true
	return b
}

func (b svcBuilder) externalName(n string) svcBuilder {
	b.s.Spec.Type, b.s.Spec.ExternalName = corev1.ServiceTypeExternalName, n
	return b
}

func (b svcBuilder) port(name string, proto corev1.Protocol, p int32) svcBuilder {
	b.s.Spec.Ports = append(b.s.Spec.Ports, corev1.ServicePort{Name: name, Protocol: proto, Port: p})
	return b
}

func (b svcBuilder) obj() *corev1.Service { return b.s }

// sliceBuilder builds test EndpointSlices of a service.
type sliceBuilder struct{ s *discoveryv1.EndpointSlice }

func makeSlice(ns, name, svc string) sliceBuilder {
	return sliceBuilder{&discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}}
}

// ep adds an endpoint; hostname may be empty.
func (b sliceBuilder) ep(addr string, ready bool, hostname string) sliceBuilder {
	e := discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
	if hostname != "" {
		e.Hostname = &hostname
	}
	b.s.Endpoints = append(b.s.Endpoints, e)
	return b
}

func (b sliceBuilder) port(name string, proto corev1.Protocol, p int32) sliceBuilder {
	b.s.Ports = append(b.s.Ports, discoveryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &p})
	return b
}

func (b sliceBuilder) obj() *discoveryv1.EndpointSlice { return b.s }

// startServer runs a Server on a free loopback port until the test ends
// and returns its address.
func startServer(t *testing.T, client kubernetes.Interface, upstreams ...string) string {
	t.Helper()
	for attempt := 0; ; attempt++ {
		addr := freeAddr(t)
		log := slog.New(slog.NewTextHandler(t.Output(), nil))
		s, err := New(Config{Client: client, Addrs: []string{addr}, Upstreams: upstreams, Log: log})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		select {
		case <-s.Ready():
			t.Cleanup(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
			})
			return addr
		case err := <-done:
			cancel()
			if attempt == 3 {
				t.Fatalf("Run: %v", err)
			}
		}
	}
}

// freeAddr returns a loopback address whose port is free for UDP and TCP.
func freeAddr(t *testing.T) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		pc, err := net.ListenPacket("udp", addr)
		ln.Close()
		if err == nil {
			pc.Close()
			return addr
		}
	}
}

// query asks addr one question over network ("udp" or "tcp").
func query(t *testing.T, addr, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg).SetQuestion(name, qtype)
	r, _, err := (&dns.Client{Net: network, Timeout: 5 * time.Second}).Exchange(m, addr)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

// rrTexts renders records as "name TYPE rdata" without TTL and class,
// sorted, for comparison.
func rrTexts(rrs []dns.RR) []string {
	out := []string{}
	for _, rr := range rrs {
		f := strings.Fields(rr.String())
		out = append(out, f[0]+" "+strings.Join(f[3:], " "))
	}
	sort.Strings(out)
	return out
}

// fakeUpstream is a loopback resolver that counts the queries it gets.
type fakeUpstream struct {
	addr     string
	udp, tcp chan struct{} // one token per query received
	refuse   bool          // answer every query with REFUSED
}

// startUpstream serves example.com (A 192.0.2.1), big.example and
// huge.example (40 and 100 A records) and NXDOMAIN for anything else,
// over UDP and TCP, truncating to the client's buffer like a real server.
func startUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	return serveUpstream(t, &fakeUpstream{})
}

func serveUpstream(t *testing.T, u *fakeUpstream) *fakeUpstream {
	t.Helper()
	addr := freeAddr(t)
	u.addr, u.udp, u.tcp = addr, make(chan struct{}, 1000), make(chan struct{}, 1000)
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: u}, {Listener: ln, Handler: u}} {
		done := make(chan error, 1)
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { done <- srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() {
			_ = srv.Shutdown()
			if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("upstream: %v", err)
			}
		})
	}
	return u
}

func (u *fakeUpstream) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	size := dns.MinMsgSize
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		u.tcp <- struct{}{}
		size = dns.MaxMsgSize
	} else {
		u.udp <- struct{}{}
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
	}
	m := new(dns.Msg).SetReply(req)
	if u.refuse {
		m.Rcode = dns.RcodeRefused
		_ = w.WriteMsg(m)
		return
	}
	name := req.Question[0].Name
	count := map[string]int{"example.com.": 1, "big.example.": 40, "huge.example.": 100}[name]
	if count == 0 {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns: "ns.example.", Mbox: "h.example.", Minttl: 60}}
	}
	for i := range count {
		rr, _ := dns.NewRR(name + " 60 IN A 192.0.2." + strconv.Itoa(i+1))
		m.Answer = append(m.Answer, rr)
	}
	m.Truncate(size)
	_ = w.WriteMsg(m)
}

// hits drains and returns the number of UDP and TCP queries received.
func (u *fakeUpstream) hits() (udp, tcp int) {
	for {
		select {
		case <-u.udp:
			udp++
		case <-u.tcp:
			tcp++
		default:
			return udp, tcp
		}
	}
}
