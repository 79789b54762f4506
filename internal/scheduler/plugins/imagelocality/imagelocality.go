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

// Score implements framework.ScorePlugin.
func (p *Plugin) Score(_ context.Context, _ *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	containers := len(pod.Spec.InitContainers) + len(pod.Spec.Containers)
	if len(ni.ImageStates) == 0 {
		return score(0, containers), nil // skips normalizing the names
	}
	total := len(p.h.SnapshotSharedLister().List())
	var sum int64
	add := func(cs []corev1.Container) {
		for i := range cs {
			if st, ok := ni.ImageStates[framework.NormalizedImageName(cs[i].Image)]; ok && total > 0 {
				sum += int64(float64(st.Size) * float64(st.NumNodes) / float64(total))
			}
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
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
