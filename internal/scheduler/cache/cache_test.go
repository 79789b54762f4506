package cache_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/skiff-sh/skiff/internal/scheduler/cache"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

func names(s *cache.Snapshot) []string {
	var out []string
	for _, ni := range s.List() {
		out = append(out, ni.Node().Name)
	}
	return out
}

func TestAssumeForgetConfirm(t *testing.T) {
	c := cache.New()
	c.AddNode(st.MakeNode().Name("n1").Obj())
	c.AddNode(st.MakeNode().Name("n2").Obj())
	snap := cache.NewSnapshot()
	pod := st.MakePod().Name("p").Node("n1").Req("cpu", "1").Obj()

	if err := c.AssumePod(pod); err != nil {
		t.Fatal(err)
	}
	c.UpdateSnapshot(snap)
	if got := snap.Get("n1").Requested.MilliCPU; got != 1000 || !c.IsAssumedPod(pod) {
		t.Fatalf("assumed: requested %d, assumed %v", got, c.IsAssumedPod(pod))
	}
	if err := c.ForgetPod(pod); err != nil {
		t.Fatal(err)
	}
	c.UpdateSnapshot(snap)
	if got := snap.Get("n1").Requested.MilliCPU; got != 0 {
		t.Fatalf("forgotten: requested %d", got)
	}

	// The informer confirms an assumed pod, on the node it really got.
	if err := c.AssumePod(pod); err != nil {
		t.Fatal(err)
	}
	c.AddPod(st.MakePod().Name("p").Node("n2").Req("cpu", "1").Obj())
	c.UpdateSnapshot(snap)
	if a, b := snap.Get("n1").Requested.MilliCPU, snap.Get("n2").Requested.MilliCPU; a != 0 || b != 1000 || c.IsAssumedPod(pod) {
		t.Fatalf("confirmed: n1 %d n2 %d assumed %v", a, b, c.IsAssumedPod(pod))
	}
	c.RemovePod(pod)
	c.UpdateSnapshot(snap)
	if _, pods := c.Counts(); pods != 0 || snap.Get("n2").Requested.MilliCPU != 0 {
		t.Fatalf("removed: %d pods, n2 %d", pods, snap.Get("n2").Requested.MilliCPU)
	}
}

func TestSnapshotInterleavesZones(t *testing.T) {
	c := cache.New()
	for _, n := range []struct{ name, zone string }{{"a1", "a"}, {"a2", "a"}, {"a3", "a"}, {"b1", "b"}, {"c1", "c"}, {"c2", "c"}} {
		c.AddNode(st.MakeNode().Name(n.name).Label("topology.kubernetes.io/zone", n.zone).Obj())
	}
	snap := cache.NewSnapshot()
	c.UpdateSnapshot(snap)
	if d := cmp.Diff([]string{"a1", "b1", "c1", "a2", "c2", "a3"}, names(snap)); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
	c.RemoveNode(st.MakeNode().Name("b1").Obj())
	c.UpdateSnapshot(snap)
	if d := cmp.Diff([]string{"a1", "c1", "a2", "c2", "a3"}, names(snap)); d != "" {
		t.Fatalf("after removal (-want +got)\n%s", d)
	}
}

func TestSnapshotTracksAffinityPods(t *testing.T) {
	c := cache.New()
	c.AddNode(st.MakeNode().Name("n1").Obj())
	c.AddNode(st.MakeNode().Name("n2").Obj())
	snap := cache.NewSnapshot()
	c.UpdateSnapshot(snap)
	anti := st.MakePod().Name("p").Node("n2").PodAntiAffinity("kubernetes.io/hostname", map[string]string{"a": "b"}).Obj()
	c.AddPod(anti)
	c.UpdateSnapshot(snap)
	if len(snap.HavePodsWithAffinityList()) != 1 || len(snap.HavePodsWithRequiredAntiAffinityList()) != 1 {
		t.Fatalf("affinity lists: %d %d", len(snap.HavePodsWithAffinityList()), len(snap.HavePodsWithRequiredAntiAffinityList()))
	}
	c.RemovePod(anti)
	c.UpdateSnapshot(snap)
	if len(snap.HavePodsWithAffinityList()) != 0 {
		t.Fatal("affinity list not cleared")
	}
}
