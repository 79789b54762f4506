package podtopologyspread

import (
	"context"
	"math"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

const preScoreKey framework.StateKey = "PreScore" + Name

type pair struct{ key, value string }

// preScoreState counts matching pods per domain of the soft constraints.
type preScoreState struct {
	constraints []constraint
	ignored     map[string]bool
	counts      map[pair]*int64
	// weights[i] is log(domains+2) of constraint i, so that constraints
	// with many domains do not dominate.
	weights []float64
}

func (s *preScoreState) Clone() framework.StateData { return s }

// PreScore implements framework.PreScorePlugin.
func (p *Plugin) PreScore(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, filtered []*framework.NodeInfo) *framework.Status {
	cs, defaulted, err := p.constraints(pod, corev1.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	// Nodes lacking a key are ignored, except under the system defaults.
	var required []string
	if !defaulted {
		required = topologyKeys(cs)
	}
	s := &preScoreState{constraints: cs, ignored: map[string]bool{}, counts: map[pair]*int64{}, weights: make([]float64, len(cs))}
	sizes := make([]int, len(cs))
	for _, ni := range filtered {
		node := ni.Node()
		if !hasKeys(node, required) {
			s.ignored[node.Name] = true
			continue
		}
		for i, c := range cs {
			if c.TopologyKey == corev1.LabelHostname {
				continue
			}
			k := pair{c.TopologyKey, node.Labels[c.TopologyKey]}
			if s.counts[k] == nil {
				s.counts[k] = new(int64)
				sizes[i]++
			}
		}
	}
	for i, c := range cs {
		if c.TopologyKey == corev1.LabelHostname {
			sizes[i] = len(filtered) - len(s.ignored)
		}
		s.weights[i] = math.Log(float64(sizes[i] + 2))
	}
	p.countDomains(ctx, pod, s, required)
	state.Write(preScoreKey, s)
	return nil
}

// countDomains fills s.counts with the matching pods of every node in
// each domain (hostname domains are counted per node by Score): from the
// plugin's countCache when the constraint's nodes do not depend on the
// pod, else by counting every node.
func (p *Plugin) countDomains(ctx context.Context, pod *corev1.Pod, s *preScoreState, required []string) {
	nodes := p.h.SnapshotSharedLister().List()
	var slow []constraint
	for i := range s.constraints {
		c := &s.constraints[i]
		switch {
		case c.TopologyKey == corev1.LabelHostname:
		case c.podIndependent(pod):
			totals := p.counted.counts(nodes, pod.Namespace, c, required)
			for k, cnt := range s.counts {
				if k.key == c.TopologyKey {
					*cnt += int64(totals[k.value])
				}
			}
		default:
			slow = append(slow, *c)
		}
	}
	if len(slow) == 0 {
		return
	}
	p.h.Parallelizer().Until(ctx, len(nodes), func(n int) {
		ni := nodes[n]
		node := ni.Node()
		if !hasKeys(node, required) {
			return
		}
		for _, c := range slow {
			cnt := s.counts[pair{c.TopologyKey, node.Labels[c.TopologyKey]}]
			if cnt == nil || !c.includes(pod, node) {
				continue
			}
			atomic.AddInt64(cnt, int64(countMatching(ni.Pods, c.Selector, pod.Namespace)))
		}
	})
}

// Score implements framework.ScorePlugin: the weighted matching pods in
// the node's domains (fewer is better, reversed by NormalizeScore).
func (p *Plugin) Score(_ context.Context, state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, ok := state.Read(preScoreKey).(*preScoreState)
	if !ok || s.ignored[ni.NodeName()] {
		return 0, nil
	}
	node := ni.Node()
	var score float64
	for i, c := range s.constraints {
		value, ok := node.Labels[c.TopologyKey]
		if !ok {
			continue
		}
		var cnt int64
		if c.TopologyKey == corev1.LabelHostname {
			cnt = int64(countMatching(ni.Pods, c.Selector, pod.Namespace))
		} else if v := s.counts[pair{c.TopologyKey, value}]; v != nil {
			cnt = *v
		}
		score += float64(cnt)*s.weights[i] + float64(c.MaxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (p *Plugin) ScoreExtensions() framework.ScoreExtensions { return p }

// NormalizeScore implements framework.ScoreExtensions: 100 × (max + min −
// score) / max, ignored nodes 0.
func (p *Plugin) NormalizeScore(_ context.Context, state *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	s, ok := state.Read(preScoreKey).(*preScoreState)
	if !ok {
		return nil
	}
	lowest, highest := int64(math.MaxInt64), int64(0)
	for _, sc := range scores {
		if s.ignored[sc.Name] {
			continue
		}
		lowest, highest = min(lowest, sc.Score), max(highest, sc.Score)
	}
	for i := range scores {
		switch {
		case s.ignored[scores[i].Name]:
			scores[i].Score = 0
		case highest == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (highest + lowest - scores[i].Score) / highest
		}
	}
	return nil
}
