// Package imagelocality prefers nodes that already have the pod's images,
// weighing each image by its size and by how few nodes have it.
package imagelocality

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "ImageLocality"

// Thresholds of the summed image score, as kube-scheduler's: below 23 MiB
// counts as nothing, above 1000 MiB per container as everything.
const (
	mb                    int64 = 1024 * 1024
	minThreshold                = 23 * mb
	maxContainerThreshold       = 1000 * mb
)

// Plugin is the ImageLocality plugin.
type Plugin struct{ h framework.Handle }

// New is the plugin's factory.
func New(h framework.Handle, _ framework.Args) (framework.Plugin, error) { return &Plugin{h: h}, nil }

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// EventsToRegister implements framework.EnqueueExtensions: the plugin
// never rejects pods.
func (*Plugin) EventsToRegister() []framework.ClusterEvent { return nil }

// stateKey holds the pod's normalized image names and the node count,
// computed once per pod rather than once per node.
const stateKey framework.StateKey = "PreScore" + Name

type preScoreState struct {
	images []string
	total  int
}

func (s *preScoreState) Clone() framework.StateData { return s }

// PreScore implements framework.PreScorePlugin.
func (p *Plugin) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(stateKey, newPreScoreState(pod, len(p.h.SnapshotSharedLister().List())))
	return nil
}

func newPreScoreState(pod *corev1.Pod, total int) *preScoreState {
	s := &preScoreState{total: total}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			s.images = append(s.images, framework.NormalizedImageName(cs[i].Image))
		}
	}
	return s
}

// Score implements framework.ScorePlugin.
func (p *Plugin) Score(_ context.Context, state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	containers := len(pod.Spec.InitContainers) + len(pod.Spec.Containers)
	if len(ni.ImageStates) == 0 {
		return score(0, containers), nil
	}
	s, ok := state.Read(stateKey).(*preScoreState)
	if !ok {
		s = newPreScoreState(pod, len(p.h.SnapshotSharedLister().List()))
	}
	var sum int64
	for _, img := range s.images {
		if st, ok := ni.ImageStates[img]; ok && s.total > 0 {
			sum += int64(float64(st.Size) * float64(st.NumNodes) / float64(s.total))
		}
	}
	return score(sum, containers), nil
}

func score(sum int64, containers int) int64 {
	maxThreshold := maxContainerThreshold * int64(containers)
	if maxThreshold <= minThreshold {
		return 0
	}
	sum = min(max(sum, minThreshold), maxThreshold)
	return framework.MaxNodeScore * (sum - minThreshold) / (maxThreshold - minThreshold)
}

// ScoreExtensions implements framework.ScorePlugin.
func (*Plugin) ScoreExtensions() framework.ScoreExtensions { return nil }
