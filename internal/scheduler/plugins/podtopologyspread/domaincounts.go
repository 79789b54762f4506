package podtopologyspread

import (
	"maps"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// A remembered count holds on to the NodeInfos it last counted, so few
// are kept: at most maxCountedSelectors (namespace, selector, key)
// combinations, the least recently used dropped beyond it, and none left
// unused for maxIdleCalls counts of others.
const (
	maxCountedSelectors = 16
	maxIdleCalls        = 1000
)

// countKey names one remembered count: the pods of ns that a selector
// selects, per domain of topologyKey, over the nodes that have every
// label in required.
type countKey struct {
	ns, selector, topologyKey, required string
}

func newCountKey(ns string, sel labels.Selector, topologyKey string, required []string) countKey {
	// Everything and Nothing both print as "": Empty tells them apart.
	return countKey{ns: ns, selector: strconv.FormatBool(sel.Empty()) + sel.String(), topologyKey: topologyKey,
		required: strings.Join(required, "\x00")}
}

// slot is what one place of the snapshot's node list contributed.
type slot struct {
	ni      *framework.NodeInfo
	counted bool
	value   string
	pods    int
}

type domain struct{ nodes, pods int }

// domainCounts is one remembered count. The snapshot replaces a NodeInfo
// whenever its node or pods change and never changes one in place, so a
// slot whose NodeInfo is the one last counted needs no recount: a pod
// added, assumed or removed costs one node's recount, not all of them.
type domainCounts struct {
	slots   []slot
	domains map[string]*domain
	used    uint64
}

// update brings d up to date with nodes.
func (d *domainCounts) update(nodes []*framework.NodeInfo, k countKey, sel labels.Selector, required []string) {
	if len(d.slots) != len(nodes) {
		d.slots, d.domains = make([]slot, len(nodes)), map[string]*domain{}
	}
	for i, ni := range nodes {
		s := &d.slots[i]
		if s.ni == ni {
			continue
		}
		if s.counted {
			d.add(s.value, -1, -s.pods)
		}
		*s = slot{ni: ni}
		node := ni.Node()
		if !hasKeys(node, required) {
			continue
		}
		s.counted, s.value, s.pods = true, node.Labels[k.topologyKey], countMatching(ni.Pods, sel, k.ns)
		d.add(s.value, 1, s.pods)
	}
}

func (d *domainCounts) add(value string, nodes, pods int) {
	dom := d.domains[value]
	if dom == nil {
		dom = &domain{}
		d.domains[value] = dom
	}
	dom.nodes += nodes
	dom.pods += pods
	if dom.nodes == 0 {
		delete(d.domains, value)
	}
}

// countCache remembers domain counts across scheduling cycles. Pods of
// one workload share their constraints, so each cycle recounts only the
// nodes changed since the previous one.
type countCache struct {
	mu   sync.Mutex
	tick uint64
	m    map[countKey]*domainCounts
}

// counts returns the matching pods of ns per domain of c.TopologyKey over
// the nodes having every label in required, for a constraint whose node
// inclusion does not depend on the pod (see podIndependent). The map is
// the caller's.
func (cc *countCache) counts(nodes []*framework.NodeInfo, ns string, c *constraint, required []string) map[string]int {
	k := newCountKey(ns, c.Selector, c.TopologyKey, required)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	d := cc.get(k)
	d.update(nodes, k, c.Selector, required)
	out := make(map[string]int, len(d.domains))
	for v, dom := range d.domains {
		out[v] = dom.pods
	}
	return out
}

func (cc *countCache) get(k countKey) *domainCounts {
	cc.tick++
	if cc.tick%maxIdleCalls == 0 {
		maps.DeleteFunc(cc.m, func(_ countKey, d *domainCounts) bool { return cc.tick-d.used > maxIdleCalls })
	}
	d := cc.m[k]
	if d == nil {
		if cc.m == nil {
			cc.m = map[countKey]*domainCounts{}
		}
		if len(cc.m) >= maxCountedSelectors {
			cc.evict()
		}
		d = &domainCounts{}
		cc.m[k] = d
	}
	d.used = cc.tick
	return d
}

func (cc *countCache) evict() {
	var oldest countKey
	lowest := cc.tick
	for k, d := range cc.m {
		if d.used < lowest {
			oldest, lowest = k, d.used
		}
	}
	delete(cc.m, oldest)
}

// podIndependent reports whether the nodes c counts on are the same for
// every pod: its node inclusion policies either ignore the pod's node
// selection and tolerations or the pod has nothing to apply.
func (c *constraint) podIndependent(pod *corev1.Pod) bool {
	if c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor {
		return false
	}
	if c.NodeAffinityPolicy != corev1.NodeInclusionPolicyHonor {
		return true
	}
	if len(pod.Spec.NodeSelector) > 0 {
		return false
	}
	a := pod.Spec.Affinity
	return a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil
}

// topologyKeys returns the constraints' topology keys.
func topologyKeys(cs []constraint) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.TopologyKey
	}
	return out
}

// hasKeys reports whether the node has every label in keys.
func hasKeys(node *corev1.Node, keys []string) bool {
	for _, k := range keys {
		if _, ok := node.Labels[k]; !ok {
			return false
		}
	}
	return true
}
