package bench

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestNetworkTiny runs the network benchmark at 10 Services on the real
// nftables. The test re-executes itself into a network namespace of its
// own, so the host's rules are never touched.
func TestNetworkTiny(t *testing.T) {
	if !InOwnNetns() {
		if testing.Short() {
			t.Skip("starts an API server and writes nftables rules")
		}
		if os.Geteuid() != 0 {
			t.Skip("needs root to create a network namespace and write nftables rules")
		}
		if _, err := exec.LookPath("nft"); err != nil {
			t.Skip("needs the nft binary")
		}
		var out bytes.Buffer
		if err := RunInOwnNetns(t.Context(), []string{"-test.run=^TestNetworkTiny$", "-test.v"}, &out, &out); err != nil {
			t.Fatalf("in a new network namespace: %v\n%s", err, out.String())
		}
		t.Log(out.String())
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	opts := NetworkOptions{Cases: []NetworkCase{{Services: 10, Endpoints: 2}}, Changes: 6,
		DNSDuration: 300 * time.Millisecond, DNSClients: 3, Clients: 4}
	r, err := RunNetwork(ctx, opts, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cases) != 1 {
		t.Fatalf("%d cases, want 1", len(r.Cases))
	}
	c := r.Cases[0]
	if c.Services != 10 || c.Endpoints != 2 || c.Change.Changes != 6 {
		t.Errorf("case shape: %+v", c)
	}
	if c.FullSync.NftMs <= 0 || c.FullSync.TotalMs < c.FullSync.NftMs {
		t.Errorf("full sync figures: %+v", c.FullSync)
	}
	if c.Change.P50Ms <= 0 || c.Change.P99Ms < c.Change.P50Ms || c.Change.SyncP50Ms <= 0 {
		t.Errorf("change figures: %+v", c.Change)
	}
	if len(c.DNS) != 2 || c.DNS[0].Clients != 1 || c.DNS[1].Clients != 3 {
		t.Fatalf("dns loads: %+v", c.DNS)
	}
	for _, d := range c.DNS {
		if d.Queries == 0 || d.QPS <= 0 || d.P50Ms <= 0 || d.P99Ms < d.P50Ms {
			t.Errorf("dns figures: %+v", d)
		}
	}
}
