package podtopologyspread

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/scheduler/cache"
	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

// recount is the definition the countCache must agree with: every node
// counted from scratch.
func recount(nodes []*framework.NodeInfo, ns string, c *constraint, required []string) map[string]int {
	out := map[string]int{}
	for _, ni := range nodes {
		if hasKeys(ni.Node(), required) {
			out[ni.Node().Labels[c.TopologyKey]] += countMatching(ni.Pods, c.Selector, ns)
		}
	}
	return out
}

// countsNode is node i: in one of three zones, except every fifth node,
// which has no zone label.
func countsNode(i int, zone string) *corev1.Node {
	b := st.MakeNode().Name(fmt.Sprintf("n%d", i))
	if i%5 != 4 {
		b = b.Label(corev1.LabelTopologyZone, zone)
	}
	return b.Obj()
}

// TestCountCacheMatchesRecount drives a cache through random pod adds,
// assumes, forgets, confirmations elsewhere, deletions and terminations,
// and node relabels, removals and additions, comparing the incremental
// counts with a full recount after each step.
func TestCountCacheMatchesRecount(t *testing.T) {
	zones := []string{"a", "b", "c"}
	sel := labels.SelectorFromSet(labels.Set{"app": "web"})
	cs := []constraint{
		{TopologyKey: corev1.LabelTopologyZone, Selector: sel},
		{TopologyKey: corev1.LabelHostname, Selector: sel},
		{TopologyKey: corev1.LabelTopologyZone, Selector: labels.Everything()},
		{TopologyKey: corev1.LabelTopologyZone, Selector: labels.Nothing()},
	}
	requirements := [][]string{nil, {corev1.LabelTopologyZone}}

	c, snap, cc := cache.New(), cache.NewSnapshot(), &countCache{}
	const nodes = 12
	for i := range nodes {
		c.AddNode(countsNode(i, zones[i%3]))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var live []*corev1.Pod
	assumed := map[types.UID]bool{}
	pick := func() (int, *corev1.Pod) { i := rng.IntN(len(live)); return i, live[i] }
	drop := func(i int) { live = append(live[:i], live[i+1:]...) }
	for step := range 400 {
		switch op := rng.IntN(10); {
		case op < 4 || len(live) == 0: // add or assume a pod
			p := st.MakePod().Name(fmt.Sprintf("p%d", step)).Node(fmt.Sprintf("n%d", rng.IntN(nodes))).Obj()
			p.Namespace = []string{"default", "other"}[rng.IntN(2)]
			if rng.IntN(3) > 0 {
				p.Labels = map[string]string{"app": "web"}
			}
			if rng.IntN(2) == 0 {
				if err := c.AssumePod(p); err != nil {
					t.Fatal(err)
				}
				assumed[p.UID] = true
			} else {
				c.AddPod(p)
			}
			live = append(live, p)
		case op == 4: // remove, or forget if assumed
			i, p := pick()
			if assumed[p.UID] {
				if err := c.ForgetPod(p); err != nil {
					t.Fatal(err)
				}
			} else {
				c.RemovePod(p)
			}
			delete(assumed, p.UID)
			drop(i)
		case op == 5: // the informer confirms a pod, maybe on another node
			i, p := pick()
			q := p.DeepCopy()
			q.Spec.NodeName = fmt.Sprintf("n%d", rng.IntN(nodes))
			c.AddPod(q)
			delete(assumed, p.UID)
			live[i] = q
		case op == 6: // a pod starts terminating
			i, p := pick()
			if assumed[p.UID] {
				continue
			}
			q := p.DeepCopy()
			q.DeletionTimestamp = &metav1.Time{}
			c.UpdatePod(q)
			live[i] = q
		case op == 7: // a node moves to another zone
			i := rng.IntN(nodes)
			c.UpdateNode(countsNode(i, zones[rng.IntN(3)]))
		case op == 8: // a node goes away and comes back
			n := countsNode(rng.IntN(nodes), zones[rng.IntN(3)])
			c.RemoveNode(n)
			c.UpdateSnapshot(snap)
			compareCounts(t, step, snap, cc, cs, requirements)
			c.AddNode(n)
		}
		c.UpdateSnapshot(snap)
		compareCounts(t, step, snap, cc, cs, requirements)
	}
}

func compareCounts(t *testing.T, step int, snap *cache.Snapshot, cc *countCache, cs []constraint, requirements [][]string) {
	t.Helper()
	for _, ns := range []string{"default", "other"} {
		for i := range cs {
			for _, req := range requirements {
				want := recount(snap.List(), ns, &cs[i], req)
				if d := cmp.Diff(want, cc.counts(snap.List(), ns, &cs[i], req)); d != "" {
					t.Fatalf("step %d, %s, constraint %d, required %v (-recount +incremental)\n%s", step, ns, i, req, d)
				}
			}
		}
	}
}

func TestCountCacheEvictsLeastRecentlyUsed(t *testing.T) {
	cc := &countCache{}
	var nodes []*framework.NodeInfo
	for i := range maxCountedSelectors + 1 {
		c := constraint{TopologyKey: corev1.LabelTopologyZone, Selector: labels.SelectorFromSet(labels.Set{"app": fmt.Sprint(i)})}
		cc.counts(nodes, "default", &c, nil)
		if i == 0 {
			continue
		}
		// Touch the first selector again so that the second is the oldest.
		first := constraint{TopologyKey: corev1.LabelTopologyZone, Selector: labels.SelectorFromSet(labels.Set{"app": "0"})}
		cc.counts(nodes, "default", &first, nil)
	}
	if len(cc.m) != maxCountedSelectors {
		t.Fatalf("remembered %d selectors, want %d", len(cc.m), maxCountedSelectors)
	}
	for _, app := range []string{"0", fmt.Sprint(maxCountedSelectors)} {
		k := newCountKey("default", labels.SelectorFromSet(labels.Set{"app": app}), corev1.LabelTopologyZone, nil)
		if cc.m[k] == nil {
			t.Errorf("selector app=%s was dropped", app)
		}
	}
	if k := newCountKey("default", labels.SelectorFromSet(labels.Set{"app": "1"}), corev1.LabelTopologyZone, nil); cc.m[k] != nil {
		t.Error("the least recently used selector app=1 was kept")
	}
}

func TestCountCacheDropsIdleSelectors(t *testing.T) {
	cc := &countCache{}
	idle := constraint{TopologyKey: corev1.LabelTopologyZone, Selector: labels.SelectorFromSet(labels.Set{"app": "idle"})}
	busy := constraint{TopologyKey: corev1.LabelTopologyZone, Selector: labels.SelectorFromSet(labels.Set{"app": "busy"})}
	cc.counts(nil, "default", &idle, nil)
	for range 2 * maxIdleCalls {
		cc.counts(nil, "default", &busy, nil)
	}
	if len(cc.m) != 1 || cc.m[newCountKey("default", busy.Selector, corev1.LabelTopologyZone, nil)] == nil {
		t.Fatalf("remembered %d selectors, want only the busy one", len(cc.m))
	}
}
