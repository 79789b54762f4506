package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"golang.org/x/sys/unix"
)

// The real-kernel twin of the unit tests: rules written with nft must
// carry host traffic to an endpoint in a network namespace.

const (
	rootTestTable = "skiff-proxytest"
	guardTable    = "skiff-proxytest-guard"
	hostAddr      = "10.244.253.1"
	endpointAddr  = "10.244.253.2"
)

func requireRootNft(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and nftables tables")
	}
	for _, bin := range []string{"nft", "ip"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s on PATH", bin)
		}
	}
}

func TestRealNftablesForwardsToEndpoint(t *testing.T) {
	requireRootNft(t)
	ctx := t.Context()
	hostIf := setupNetns(t)
	serve(t, hostIf.ns, endpointAddr+":8080", "hi")
	installGuard(t, hostIf.name)

	web := makeService("web", "10.43.253.10").port("http", corev1.ProtocolTCP, 80, 30080).affinity(60).externalLocal()
	webSlice := makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080).ready(endpointAddr, testNode)
	// Not dialled: it makes nft accept UDP, SCTP and internalTrafficPolicy rules.
	multi := makeService("multi", "10.43.253.12").port("dns", corev1.ProtocolUDP, 53, 0).port("sig", corev1.ProtocolSCTP, 9000, 0).internalLocal()
	multiSlice := makeSlice("multi", "multi-1").port("dns", corev1.ProtocolUDP, 5353).port("sig", corev1.ProtocolSCTP, 9999).ready(endpointAddr, testNode)
	empty := makeService("empty", "10.43.253.11").port("http", corev1.ProtocolTCP, 80, 0)
	client := fake.NewClientset(web.obj(), webSlice.obj(), multi.obj(), multiSlice.obj(), empty.obj())

	p := startRealProxier(t, client)
	if err := p.fullSync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"10.43.253.10:80", hostAddr + ":30080"} {
		if got, err := dialRead(addr); err != nil || got != "hi" {
			t.Errorf("dial %s: read %q, %v; want hi", addr, got, err)
		}
	}
	// Hairpin: the endpoint reaches itself through the ClusterIP, which
	// works only if the proxy masquerades it.
	var got string
	err := inNetns(hostIf.ns, func() (err error) {
		got, err = dialRead("10.43.253.10:80")
		return err
	})
	if err != nil || got != "hi" {
		t.Errorf("hairpin dial: read %q, %v; want hi", got, err)
	}
	if _, err := dialRead("10.43.253.11:80"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("service without endpoints: %v, want connection refused", err)
	}
	// A second full sync over the same table must be accepted too.
	if err := p.fullSync(ctx); err != nil {
		t.Fatalf("second full sync: %v", err)
	}

	// Losing its endpoints turns the service into a rejecting one.
	emptied := makeSlice("web", "web-1").port("http", corev1.ProtocolTCP, 8080)
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Update(ctx, emptied.obj(), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDirty(t, p, "web")
	if err := p.partialSync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dialRead("10.43.253.10:80"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("service whose endpoints went away: %v, want connection refused", err)
	}

	if err := client.CoreV1().Services("ns").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDirty(t, p, "web")
	var chains []string
	if err := p.partialSync(ctx); err != nil {
		t.Fatal(err)
	}
	chains, err = p.nft.List(ctx, "chains")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chains {
		if strings.Contains(c, "ns/web/") {
			t.Errorf("chain %s left after the service was deleted", c)
		}
	}
}

type netnsLink struct{ ns, name string }

// setupNetns creates a namespace joined to the host by a veth pair
// 10.244.253.1/30 (host) – 10.244.253.2/30 (namespace), and routes the
// test's service range into it, so even an unrewritten packet stays on
// the machine.
func setupNetns(t *testing.T) netnsLink {
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	l := netnsLink{ns: "skiff-proxytest-" + suffix, name: "skpt" + suffix}
	peer := "skpn" + suffix
	mustRun(t, "ip", "netns", "add", l.ns)
	t.Cleanup(func() { run("ip", "netns", "del", l.ns) })
	mustRun(t, "ip", "link", "add", l.name, "type", "veth", "peer", "name", peer, "netns", l.ns)
	t.Cleanup(func() { run("ip", "link", "del", l.name) })
	mustRun(t, "ip", "addr", "add", hostAddr+"/30", "dev", l.name)
	mustRun(t, "ip", "link", "set", l.name, "up")
	mustRun(t, "ip", "-n", l.ns, "addr", "add", endpointAddr+"/30", "dev", peer)
	mustRun(t, "ip", "-n", l.ns, "link", "set", peer, "up")
	mustRun(t, "ip", "-n", l.ns, "link", "set", "lo", "up")
	mustRun(t, "ip", "route", "add", "10.43.253.0/28", "dev", l.name)
	mustRun(t, "ip", "-n", l.ns, "route", "add", "10.43.253.0/28", "via", hostAddr)
	return l
}

// installGuard drops traffic to the service range leaving by any
// interface but the test's and lo, so a missing rule cannot send it off
// the machine.
func installGuard(t *testing.T, ifname string) {
	script := fmt.Sprintf(`table ip %[1]s {
	chain postrouting {
		type filter hook postrouting priority 0; policy accept;
		ip daddr 10.43.0.0/16 oifname != { "lo", %[2]q } drop
	}
}
`, guardTable, ifname)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("guard table: %v: %s", err, out)
	}
	t.Cleanup(func() { run("nft", "delete", "table", "ip", guardTable) })
}

func startRealProxier(t *testing.T, client *fake.Clientset) *Proxier {
	p, err := New(Config{
		Client: client, NodeName: testNode, NodeIPs: []netip.Addr{netip.MustParseAddr(hostAddr)},
		// The namespace counts as a pod, so only hairpin rules masquerade it.
		ClusterCIDR: netip.MustParsePrefix("10.244.253.0/30"),
		ServiceCIDR: netip.MustParsePrefix("10.43.253.0/28"), Table: rootTestTable,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Cleanup(context.Background(), rootTestTable); err != nil {
			t.Error(err)
		}
	})
	startTestInformers(t, p)
	return p
}

// serve answers every connection to addr inside ns with reply.
func serve(t *testing.T, ns, addr, reply string) {
	var l net.Listener
	err := inNetns(ns, func() (err error) {
		l, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, reply)
			c.Close()
		}
	})
	t.Cleanup(func() { l.Close(); wg.Wait() })
}

// inNetns runs fn on a thread inside the named network namespace;
// sockets fn opens stay in it.
func inNetns(ns string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns %s: %w", ns, err)
	}
	fnErr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked, so Go retires it with the goroutine.
		return fmt.Errorf("leave netns %s: %w", ns, err)
	}
	runtime.UnlockOSThread()
	return fnErr
}

// dialRead connects and reads until the server closes. The timeout only
// bounds a failing test.
func dialRead(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if err := run(name, args...); err != nil {
		t.Fatal(err)
	}
}

func run(name string, args ...string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
