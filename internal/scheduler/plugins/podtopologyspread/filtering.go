package podtopologyspread

import (
	"context"
	"maps"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

const preFilterKey framework.StateKey = "PreFilter" + Name

// preFilterState counts, per hard constraint, the matching pods in each
// domain of the eligible nodes.
type preFilterState struct {
	constraints []constraint
	// keys are the constraints' topology keys: nodes lacking one are not
	// counted.
	keys []string
	// counts[i][value] is the number of matching pods in domain value of
	// constraint i; mins[i] is minMatch(i), kept so that Filter does not
	// walk every domain on every node.
	counts []map[string]int
	mins   []int
	// self[i] is 1 when the incoming pod matches constraint i's selector.
	self []int
}

func (s *preFilterState) Clone() framework.StateData {
	out := &preFilterState{constraints: s.constraints, keys: s.keys, counts: make([]map[string]int, len(s.counts)),
		mins: slices.Clone(s.mins), self: s.self}
	for i, m := range s.counts {
		out.counts[i] = maps.Clone(m)
	}
	return out
}

// minMatch is the smallest domain count of constraint i, or 0 when there
// are fewer domains than minDomains.
func (s *preFilterState) minMatch(i int) int {
	m := s.counts[i]
	if len(m) < int(s.constraints[i].MinDomains) {
		return 0
	}
	lowest := math.MaxInt
	for _, n := range m {
		lowest = min(lowest, n)
	}
	if lowest == math.MaxInt {
		return 0
	}
	return lowest
}

// PreFilter implements framework.PreFilterPlugin. Constraints whose
// eligible nodes do not depend on the pod take their counts from the
// plugin's countCache; the others count every node.
func (p *Plugin) PreFilter(ctx context.Context, state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	cs, _, err := p.constraints(pod, corev1.DoNotSchedule)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &preFilterState{constraints: cs, keys: topologyKeys(cs), counts: make([]map[string]int, len(cs)),
		mins: make([]int, len(cs)), self: make([]int, len(cs))}
	nodes := p.h.SnapshotSharedLister().List()
	var slow []int
	for i := range cs {
		if cs[i].Selector.Matches(labels.Set(pod.Labels)) {
			s.self[i] = 1
		}
		if cs[i].podIndependent(pod) {
			s.counts[i] = p.counted.counts(nodes, pod.Namespace, &cs[i], s.keys)
		} else {
			s.counts[i], slow = map[string]int{}, append(slow, i)
		}
	}
	if len(slow) > 0 {
		p.countEveryNode(ctx, pod, s, slow, nodes)
	}
	for i := range cs {
		s.mins[i] = s.minMatch(i)
	}
	state.Write(preFilterKey, s)
	return nil
}

// countEveryNode counts the constraints slow of s on every node. Each
// node counts into its own slots (-1: not counted), summed into the
// domains afterwards: no lock shared by the workers.
func (p *Plugin) countEveryNode(ctx context.Context, pod *corev1.Pod, s *preFilterState, slow []int, nodes []*framework.NodeInfo) {
	local := make([]int, len(nodes)*len(slow))
	p.h.Parallelizer().Until(ctx, len(nodes), func(n int) {
		ni, mine := nodes[n], local[n*len(slow):(n+1)*len(slow)]
		node := ni.Node()
		for j, i := range slow {
			mine[j] = -1
			if hasKeys(node, s.keys) && s.constraints[i].includes(pod, node) {
				mine[j] = countMatching(ni.Pods, s.constraints[i].Selector, pod.Namespace)
			}
		}
	})
	for n, ni := range nodes {
		for j, i := range slow {
			if k := local[n*len(slow)+j]; k >= 0 {
				s.counts[i][ni.Node().Labels[s.constraints[i].TopologyKey]] += k
			}
		}
	}
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (p *Plugin) PreFilterExtensions() framework.PreFilterExtensions { return p }

// AddPod implements framework.PreFilterExtensions.
func (p *Plugin) AddPod(_ context.Context, state *framework.CycleState, pod *corev1.Pod, add *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return p.updateCount(state, pod, add.Pod, ni, 1)
}

// RemovePod implements framework.PreFilterExtensions.
func (p *Plugin) RemovePod(_ context.Context, state *framework.CycleState, pod *corev1.Pod, remove *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return p.updateCount(state, pod, remove.Pod, ni, -1)
}

func (p *Plugin) updateCount(state *framework.CycleState, pod, other *corev1.Pod, ni *framework.NodeInfo, delta int) *framework.Status {
	s, ok := state.Read(preFilterKey).(*preFilterState)
	if !ok || other.Namespace != pod.Namespace || !hasKeys(ni.Node(), s.keys) {
		return nil
	}
	for i, c := range s.constraints {
		if c.includes(pod, ni.Node()) && c.Selector.Matches(labels.Set(other.Labels)) {
			s.counts[i][ni.Node().Labels[c.TopologyKey]] += delta
			s.mins[i] = s.minMatch(i)
		}
	}
	return nil
}

// Filter implements framework.FilterPlugin: placing the pod on the node
// must not make its domain exceed the least populated one by more than
// maxSkew.
func (p *Plugin) Filter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	s, ok := state.Read(preFilterKey).(*preFilterState)
	if !ok {
		return nil
	}
	node := ni.Node()
	for i, c := range s.constraints {
		value, ok := node.Labels[c.TopologyKey]
		if !ok {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch)
		}
		if s.counts[i][value]+s.self[i]-s.mins[i] > int(c.MaxSkew) {
			return framework.NewStatus(framework.Unschedulable, ErrReasonConstraintsNotMatch)
		}
	}
	return nil
}
