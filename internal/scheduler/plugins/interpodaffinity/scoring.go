package interpodaffinity

import (
	"context"
	"math"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

const preScoreKey framework.StateKey = "PreScore" + Name

// scoreState holds the summed weights per topology domain.
type scoreState struct{ scores counts }

func (s *scoreState) Clone() framework.StateData { return s }

// PreScore implements framework.PreScorePlugin: it sums, per domain, the
// weights of the incoming pod's preferred terms that running pods match,
// and of the running pods' terms (required affinity at weight 1,
// preferred ones at theirs) that the incoming pod matches.
func (p *Plugin) PreScore(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	pi := framework.NewPodInfo(pod)
	if pi.ParseError != nil {
		return framework.AsStatus(pi.ParseError)
	}
	for _, terms := range [][]framework.WeightedAffinityTerm{pi.PreferredAffinityTerms, pi.PreferredAntiAffinityTerms} {
		for i := range terms {
			p.mergeTerm(&terms[i].AffinityTerm)
		}
	}
	hasPreferred := len(pi.PreferredAffinityTerms)+len(pi.PreferredAntiAffinityTerms) > 0
	lister := p.h.SnapshotSharedLister()
	nodes := lister.HavePodsWithAffinityList()
	if hasPreferred {
		nodes = lister.List()
	}
	nsLabels := p.nsLabels(pod.Namespace)
	total := counts{}
	var mu sync.Mutex
	p.h.Parallelizer().Until(ctx, len(nodes), func(i int) {
		ni := nodes[i]
		if len(ni.Node().Labels) == 0 {
			return
		}
		pods := ni.PodsWithAffinity
		if hasPreferred {
			pods = ni.Pods
		}
		local := counts{}
		for _, existing := range pods {
			local.score(pi, existing, nsLabels, ni.Node())
		}
		mu.Lock()
		defer mu.Unlock()
		mergeInto(total, local)
	})
	if len(total) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(preScoreKey, &scoreState{scores: total})
	return nil
}

func (c counts) score(pi, existing *framework.PodInfo, nsLabels labels.Set, node *corev1.Node) {
	weigh := func(terms []framework.WeightedAffinityTerm, pod *corev1.Pod, ns labels.Set, sign int64) {
		for i := range terms {
			if terms[i].Matches(pod, ns) {
				c.add(&terms[i].AffinityTerm, node, sign*int64(terms[i].Weight))
			}
		}
	}
	weigh(pi.PreferredAffinityTerms, existing.Pod, nil, 1)
	weigh(pi.PreferredAntiAffinityTerms, existing.Pod, nil, -1)
	for i := range existing.RequiredAffinityTerms {
		if existing.RequiredAffinityTerms[i].Matches(pi.Pod, nsLabels) {
			c.add(&existing.RequiredAffinityTerms[i], node, hardPodAffinityWeight)
		}
	}
	weigh(existing.PreferredAffinityTerms, pi.Pod, nsLabels, 1)
	weigh(existing.PreferredAntiAffinityTerms, pi.Pod, nsLabels, -1)
}

// Score implements framework.ScorePlugin: the summed weights of the
// node's domains.
func (p *Plugin) Score(_ context.Context, state *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, ok := state.Read(preScoreKey).(*scoreState)
	if !ok {
		return 0, nil
	}
	var score int64
	for k, v := range ni.Node().Labels {
		score += s.scores[pair{k, v}]
	}
	return score, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (p *Plugin) ScoreExtensions() framework.ScoreExtensions { return p }

// NormalizeScore implements framework.ScoreExtensions: min-max scaling to
// [0, 100]; equal scores all become 0.
func (p *Plugin) NormalizeScore(_ context.Context, state *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	if _, ok := state.Read(preScoreKey).(*scoreState); !ok {
		return nil
	}
	lowest, highest := int64(math.MaxInt64), int64(math.MinInt64)
	for _, sc := range scores {
		lowest, highest = min(lowest, sc.Score), max(highest, sc.Score)
	}
	for i := range scores {
		if highest > lowest {
			scores[i].Score = framework.MaxNodeScore * (scores[i].Score - lowest) / (highest - lowest)
		} else {
			scores[i].Score = 0
		}
	}
	return nil
}
