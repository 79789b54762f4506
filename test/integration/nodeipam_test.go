package integration

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/nodeipam"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestNodeIPAMAssignsDistinctCIDRs(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	createReadyNode(t, c, "held", nil)
	held, err := c.Client.CoreV1().Nodes().Get(ctx, "held", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	held.Spec.PodCIDR, held.Spec.PodCIDRs = "10.42.0.0/24", []string{"10.42.0.0/24"}
	if _, err := c.Client.CoreV1().Nodes().Update(ctx, held, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.RunControllers(t, map[string]controllerctx.Constructor{"nodeipam": nodeipam.New}, nil)
	for i := range 3 {
		createReadyNode(t, c, fmt.Sprintf("n%d", i), nil)
	}
	cluster := netip.MustParsePrefix("10.42.0.0/16")
	waitFor(t, func() bool {
		l, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, n := range l.Items {
			p, err := netip.ParsePrefix(n.Spec.PodCIDR)
			if err != nil || len(n.Spec.PodCIDRs) != 1 || n.Spec.PodCIDRs[0] != n.Spec.PodCIDR {
				return false
			}
			if other, dup := seen[n.Spec.PodCIDR]; dup {
				t.Fatalf("nodes %s and %s share %s", other, n.Name, p)
			}
			if p.Bits() != 24 || !cluster.Contains(p.Addr()) {
				t.Fatalf("node %s got %s", n.Name, p)
			}
			seen[n.Spec.PodCIDR] = n.Name
		}
		return len(seen) == 4
	}, "four nodes with distinct /24s")
}
