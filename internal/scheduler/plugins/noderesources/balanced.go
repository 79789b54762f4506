package noderesources

import (
	"context"
	"math"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// BalancedAllocationName is the name of the balanced allocation plugin.
const BalancedAllocationName = "NodeResourcesBalancedAllocation"

const balancedStateKey framework.StateKey = "PreScore" + BalancedAllocationName

// BalancedAllocation is the NodeResourcesBalancedAllocation plugin.
type BalancedAllocation struct{}

// NewBalancedAllocation is the plugin's factory.
func NewBalancedAllocation(framework.Handle, framework.Args) (framework.Plugin, error) {
	return &BalancedAllocation{}, nil
}

// Name implements framework.Plugin.
func (*BalancedAllocation) Name() string { return BalancedAllocationName }

// EventsToRegister implements framework.EnqueueExtensions: the plugin
// never rejects pods.
func (*BalancedAllocation) EventsToRegister() []framework.ClusterEvent { return nil }

type balancedState struct{ req *framework.Resource }

func (s *balancedState) Clone() framework.StateData { return s }

// PreScore implements framework.PreScorePlugin; pods that request neither
// cpu nor memory skip scoring.
func (*BalancedAllocation) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	req := framework.PodRequests(pod, false)
	if req.MilliCPU == 0 && req.Memory == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(balancedStateKey, &balancedState{req: req})
	return nil
}

// Score implements framework.ScorePlugin: 100 × (1 − the standard
// deviation of the cpu and memory fractions the node would have in use).
func (*BalancedAllocation) Score(_ context.Context, state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var req *framework.Resource
	if s, ok := state.Read(balancedStateKey).(*balancedState); ok {
		req = s.req
	} else {
		req = framework.PodRequests(pod, false)
	}
	var buf [2]float64 // one per scored resource, on the stack
	fractions := buf[:0]
	for _, r := range scoredResources {
		alloc := ni.Allocatable.Get(r)
		if alloc == 0 {
			continue
		}
		fractions = append(fractions, math.Min(float64(ni.Requested.Get(r)+req.Get(r))/float64(alloc), 1))
	}
	return int64((1 - stdDev(fractions)) * float64(framework.MaxNodeScore)), nil
}

func stdDev(xs []float64) float64 {
	switch len(xs) {
	case 0, 1:
		return 0
	case 2:
		return math.Abs(xs[0]-xs[1]) / 2
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return math.Sqrt(v / float64(len(xs)))
}

// ScoreExtensions implements framework.ScorePlugin.
func (*BalancedAllocation) ScoreExtensions() framework.ScoreExtensions { return nil }
