// Package nodeaffinity filters nodes by the pod's nodeSelector and
// required node affinity, and scores them by its preferred node affinity.
package nodeaffinity

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "NodeAffinity"

// ErrReasonPod is the reason for a node that does not match.
const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector"

// Plugin is the NodeAffinity plugin.
type Plugin struct{}

// New is the plugin's factory.
func New(framework.Handle, framework.Args) (framework.Plugin, error) { return &Plugin{}, nil }

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// EventsToRegister implements framework.EnqueueExtensions.
func (*Plugin) EventsToRegister() []framework.ClusterEvent {
	return []framework.ClusterEvent{{Resource: framework.Node, Action: framework.Add | framework.UpdateNodeLabel}}
}

// PreFilter implements framework.PreFilterPlugin; pods without a node
// selector or required affinity skip the filter.
func (*Plugin) PreFilter(_ context.Context, _ *framework.CycleState, pod *corev1.Pod) *framework.Status {
	a := pod.Spec.Affinity
	if len(pod.Spec.NodeSelector) == 0 && (a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil) {
		return framework.NewStatus(framework.Skip)
	}
	return nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (*Plugin) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter implements framework.FilterPlugin.
func (*Plugin) Filter(_ context.Context, _ *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	if framework.PodMatchesNodeSelectorAndAffinity(pod, ni.Node()) {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPod)
}

func preferred(pod *corev1.Pod) []corev1.PreferredSchedulingTerm {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// PreScore implements framework.PreScorePlugin; pods without preferred
// terms skip scoring.
func (*Plugin) PreScore(_ context.Context, _ *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	if len(preferred(pod)) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	return nil
}

// Score implements framework.ScorePlugin: the summed weights of the
// preferred terms the node matches.
func (*Plugin) Score(_ context.Context, _ *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var score int64
	for i, t := range preferred(pod) {
		if t.Weight != 0 && framework.NodeSelectorTermMatches(ni.Node(), &preferred(pod)[i].Preference) {
			score += int64(t.Weight)
		}
	}
	return score, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (p *Plugin) ScoreExtensions() framework.ScoreExtensions { return p }

// NormalizeScore implements framework.ScoreExtensions.
func (*Plugin) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	return framework.DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
}
