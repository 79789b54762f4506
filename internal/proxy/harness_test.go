package proxy

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/knftables"
)

// harness is a Proxier on a fake clientset and fake nftables, synced
// once in full.
type harness struct {
	t      *testing.T
	ctx    context.Context
	p      *Proxier
	nft    *knftables.Fake
	client *fake.Clientset
	// conntrack records conntrack calls; syncs run on the test goroutine.
	conntrack [][]string
}

const testNode = "n1"

func newHarness(t *testing.T, cfg Config, objs ...runtime.Object) *harness {
	t.Helper()
	h := &harness{t: t, ctx: t.Context(), nft: knftables.NewFake(knftables.IPv4Family, DefaultTable), client: fake.NewClientset(objs...)}
	cfg.Client, cfg.NodeName, cfg.NodeIPs = h.client, testNode, []netip.Addr{netip.MustParseAddr("192.168.1.10")}
	cfg.nft = h.nft
	cfg.conntrack = func(_ context.Context, args ...string) error {
		h.conntrack = append(h.conntrack, args)
		return nil
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	startTestInformers(t, p)
	if err := p.fullSync(h.ctx); err != nil {
		t.Fatal(err)
	}
	return h
}

// startTestInformers runs p's informers for the test and waits until
// their handlers have seen every object.
func startTestInformers(t *testing.T, p *Proxier) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	factory, synced, err := p.startInformers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); factory.Shutdown() })
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		t.Fatal("caches did not sync")
	}
}

// waitDirty waits until the informers have reported a change to the
// Service, so that a partial sync will see it.
func waitDirty(t *testing.T, p *Proxier, name string) {
	t.Helper()
	key := types.NamespacedName{Namespace: "ns", Name: name}
	err := wait.PollUntilContextTimeout(t.Context(), time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.dirty[key], nil
	})
	if err != nil {
		t.Fatalf("service %s never changed: %v", key, err)
	}
}

func (h *harness) partialSync() {
	h.t.Helper()
	if err := h.p.partialSync(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// rules returns a chain's rules; nil when it does not exist.
func (h *harness) rules(chain string) []string {
	c := h.nft.Table.Chains[chain]
	if c == nil {
		return nil
	}
	out := []string{}
	for _, r := range c.Rules {
		out = append(out, r.Rule)
	}
	return out
}

func (h *harness) hasChain(chain string) bool { return h.nft.Table.Chains[chain] != nil }

// element returns the value of a map element, "" when absent.
func (h *harness) element(m string, key ...string) string {
	e := h.nft.Table.Maps[m].FindElement(key...)
	if e == nil {
		return ""
	}
	return strings.Join(e.Value, " ")
}

func (h *harness) inSet(set string, key ...string) bool {
	return h.nft.Table.Sets[set].FindElement(key...) != nil
}

// chainsWithPrefix lists the table's chains starting with prefix.
func (h *harness) chainsWithPrefix(prefix string) []string {
	var out []string
	for name := range h.nft.Table.Chains {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out
}
