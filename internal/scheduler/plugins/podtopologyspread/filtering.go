package podtopologyspread

import (
	"context"
	"maps"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

const preFilterKey framework.StateKey = "PreFilter" + Name

// preFilterState counts, per hard constraint, the matching pods in each
// domain of the eligible nodes.
type preFilterState struct {
	constraints []constraint
	// counts[i][value] is the number of matching pods in domain value of
	// constraint i.
	counts []map[string]int
}

func (s *preFilterState) Clone() framework.StateData {
	out := &preFilterState{constraints: s.constraints, counts: make([]map[string]int, len(s.counts))}
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

// PreFilter implements framework.PreFilterPlugin.
func (p *Plugin) PreFilter(ctx context.Context, state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	cs, _, err := p.constraints(pod, corev1.DoNotSchedule)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &preFilterState{constraints: cs, counts: make([]map[string]int, len(cs))}
	for i := range cs {
		s.counts[i] = map[string]int{}
	}
	// Each node counts into its own slots (-1: not counted), summed into
	// the domains afterwards: no lock shared by the workers.
	nodes := p.h.SnapshotSharedLister().List()
	local := make([]int, len(nodes)*len(cs))
	p.h.Parallelizer().Until(ctx, len(nodes), func(n int) {
		ni, mine := nodes[n], local[n*len(cs):(n+1)*len(cs)]
		node := ni.Node()
		for i := range cs {
			mine[i] = -1
			if hasAllKeys(node, cs) && cs[i].includes(pod, node) {
				mine[i] = countMatching(ni.Pods, cs[i].Selector, pod.Namespace)
			}
		}
	})
	for n, ni := range nodes {
		for i, c := range cs {
			if k := local[n*len(cs)+i]; k >= 0 {
				s.counts[i][ni.Node().Labels[c.TopologyKey]] += k
			}
		}
	}
	state.Write(preFilterKey, s)
	return nil
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
	if !ok || other.Namespace != pod.Namespace || !hasAllKeys(ni.Node(), s.constraints) {
		return nil
	}
	for i, c := range s.constraints {
		if c.includes(pod, ni.Node()) && c.Selector.Matches(labels.Set(other.Labels)) {
			s.counts[i][ni.Node().Labels[c.TopologyKey]] += delta
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
		self := 0
		if c.Selector.Matches(labels.Set(pod.Labels)) {
			self = 1
		}
		if s.counts[i][value]+self-s.minMatch(i) > int(c.MaxSkew) {
			return framework.NewStatus(framework.Unschedulable, ErrReasonConstraintsNotMatch)
		}
	}
	return nil
}
