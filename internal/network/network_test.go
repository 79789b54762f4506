package network

import (
	"context"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/knftables"
)

func node(name, podCIDR, ip string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: podCIDR}}
	if ip != "" {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}
	}
	return n
}

func TestDesiredRoutes(t *testing.T) {
	cluster := netip.MustParsePrefix("10.42.0.0/16")
	got := desiredRoutes("a", cluster, []*corev1.Node{
		node("a", "10.42.0.0/24", "192.168.1.1"), // self: no route
		node("b", "10.42.1.0/24", "192.168.1.2"), // routed
		node("c", "", "192.168.1.3"),             // no pod range yet
		node("d", "10.42.3.0/24", ""),            // no address yet
		node("e", "10.99.0.0/24", "192.168.1.5"), // outside the cluster range
		node("f", "10.42.5.0/24", "fd00::5"),     // no IPv4 address
		node("g", "10.42.6.7/24", "192.168.1.7"), // unmasked range
	})
	want := map[netip.Prefix]netip.Addr{
		netip.MustParsePrefix("10.42.1.0/24"): netip.MustParseAddr("192.168.1.2"),
		netip.MustParsePrefix("10.42.6.0/24"): netip.MustParseAddr("192.168.1.7"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routes = %v, want %v", got, want)
	}
}

// fakeIP answers `ip -j route show` with routes and records every other
// command.
type fakeIP struct {
	routes string
	ran    []string
}

func (f *fakeIP) run(_ context.Context, args ...string) error {
	f.ran = append(f.ran, strings.Join(args, " "))
	return nil
}

func (f *fakeIP) output(_ context.Context, args ...string) ([]byte, error) {
	return []byte(f.routes), nil
}

func TestSyncRoutesChangesOnlyWhatDiffers(t *testing.T) {
	ip := &fakeIP{routes: `[
		{"dst":"10.43.0.0/16","dev":"skiff-svc"},
		{"dst":"10.42.1.0/24","gateway":"192.168.1.2"},
		{"dst":"10.42.2.0/24","gateway":"192.168.1.3"},
		{"dst":"10.42.3.0/24","gateway":"192.168.1.9"}]`}
	h, err := New(Config{ip: ip, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	err = h.syncRoutes(context.Background(), map[netip.Prefix]netip.Addr{
		netip.MustParsePrefix("10.42.1.0/24"): netip.MustParseAddr("192.168.1.2"), // unchanged
		netip.MustParsePrefix("10.42.3.0/24"): netip.MustParseAddr("192.168.1.4"), // node moved
		netip.MustParsePrefix("10.42.4.0/24"): netip.MustParseAddr("192.168.1.5"), // new node
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"route del 10.42.2.0/24 proto 0x5b",
		"route replace 10.42.3.0/24 via 192.168.1.4 proto 0x5b",
		"route replace 10.42.4.0/24 via 192.168.1.5 proto 0x5b",
	}
	got := append([]string(nil), ip.ran...)
	// The adds come from a map: compare as sets after the delete.
	if len(got) != len(want) || got[0] != want[0] {
		t.Fatalf("commands = %q, want %q", got, want)
	}
	if !(got[1] == want[1] && got[2] == want[2]) && !(got[1] == want[2] && got[2] == want[1]) {
		t.Errorf("commands = %q, want %q", got, want)
	}
}

func TestMasqueradeTable(t *testing.T) {
	fake := knftables.NewFake(knftables.IPv4Family, "skiff-net")
	h, err := New(Config{ClusterCIDR: netip.MustParsePrefix("10.244.0.0/16"), nft: fake, ip: &fakeIP{}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent: a restarted agent rewrites it
		if err := h.writeMasquerade(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	dump := fake.Dump()
	if n := strings.Count(dump, "masquerade"); n != 1 {
		t.Fatalf("want one masquerade rule, got %d:\n%s", n, dump)
	}
	if !strings.Contains(dump, "ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 masquerade") {
		t.Errorf("masquerade rule missing:\n%s", dump)
	}
}

func TestServiceInterface(t *testing.T) {
	ip := &fakeIP{routes: `[{"ifname":"skiff-svc","addr_info":[{"local":"10.43.0.10"}]}]`}
	h, err := New(Config{ip: ip, LocalAddrs: []netip.Addr{netip.MustParseAddr("10.43.0.10"), netip.MustParseAddr("169.254.20.10")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ensureServiceInterface(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"link show dev skiff-svc",
		"link set skiff-svc up",
		"route replace 10.43.0.0/16 dev skiff-svc proto 0x5b",
		"addr add 169.254.20.10/32 dev skiff-svc", // 10.43.0.10 is already there
	}
	if !reflect.DeepEqual(ip.ran, want) {
		t.Errorf("commands =\n%q\nwant\n%q", ip.ran, want)
	}
}
