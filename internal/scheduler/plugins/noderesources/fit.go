// Package noderesources holds NodeResourcesFit, which keeps pods off nodes
// without room for their requests and scores by allocation
// (LeastAllocated or MostAllocated), and NodeResourcesBalancedAllocation,
// which prefers nodes whose cpu and memory use stay even.
package noderesources

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// FitName is the name of the fit plugin.
const FitName = "NodeResourcesFit"

// Reasons the fit plugin gives.
const (
	ErrReasonTooManyPods = "Too many pods"
	// ErrReasonInsufficientPrefix is followed by the resource name.
	ErrReasonInsufficientPrefix = "Insufficient "
)

const fitStateKey framework.StateKey = "PreFilter" + FitName

// scoredResources are the resources scored, with weight 1 each, as
// kube-scheduler's default.
var scoredResources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}

// Fit is the NodeResourcesFit plugin.
type Fit struct {
	strategy framework.ScoringStrategy
}

// NewFit is the fit plugin's factory.
func NewFit(_ framework.Handle, args framework.Args) (framework.Plugin, error) {
	s := args.ScoringStrategy
	switch s {
	case "":
		s = framework.LeastAllocated
	case framework.LeastAllocated, framework.MostAllocated:
	default:
		return nil, fmt.Errorf("unknown scoring strategy %q", s)
	}
	return &Fit{strategy: s}, nil
}

// Name implements framework.Plugin.
func (*Fit) Name() string { return FitName }

// EventsToRegister implements framework.EnqueueExtensions.
func (*Fit) EventsToRegister() []framework.ClusterEvent {
	return []framework.ClusterEvent{
		{Resource: framework.AssignedPod, Action: framework.Delete | framework.UpdatePodScaleDown},
		{Resource: framework.Node, Action: framework.Add | framework.UpdateNodeAllocatable},
	}
}

type fitState struct{ req *framework.Resource }

func (s *fitState) Clone() framework.StateData { return s }

// PreFilter implements framework.PreFilterPlugin.
func (*Fit) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	state.Write(fitStateKey, &fitState{req: framework.PodRequests(pod, false)})
	return nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (*Fit) PreFilterExtensions() framework.PreFilterExtensions { return nil }

func podRequest(state *framework.CycleState, pod *corev1.Pod) *framework.Resource {
	if s, ok := state.Read(fitStateKey).(*fitState); ok {
		return s.req
	}
	return framework.PodRequests(pod, false)
}

// Filter implements framework.FilterPlugin.
func (*Fit) Filter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	reasons := InsufficientResources(podRequest(state, pod), ni)
	if len(reasons) == 0 {
		return nil
	}
	return framework.NewStatus(framework.Unschedulable, reasons...)
}

// InsufficientResources returns a reason for each resource of req that
// does not fit ni, and for the pod count.
func InsufficientResources(req *framework.Resource, ni *framework.NodeInfo) []string {
	var out []string
	if int64(len(ni.Pods))+1 > ni.Allocatable.AllowedPodNumber {
		out = append(out, ErrReasonTooManyPods)
	}
	// The common resources by field: this runs for every pod on every
	// node searched.
	alloc, used := &ni.Allocatable, &ni.Requested
	if short(req.MilliCPU, alloc.MilliCPU, used.MilliCPU) {
		out = append(out, ErrReasonInsufficientPrefix+string(corev1.ResourceCPU))
	}
	if short(req.Memory, alloc.Memory, used.Memory) {
		out = append(out, ErrReasonInsufficientPrefix+string(corev1.ResourceMemory))
	}
	if short(req.EphemeralStorage, alloc.EphemeralStorage, used.EphemeralStorage) {
		out = append(out, ErrReasonInsufficientPrefix+string(corev1.ResourceEphemeralStorage))
	}
	if len(req.Scalar) == 0 {
		return out
	}
	names := make([]string, 0, len(req.Scalar))
	for name := range req.Scalar {
		names = append(names, string(name))
	}
	sort.Strings(names)
	for _, name := range names {
		rn := corev1.ResourceName(name)
		if short(req.Scalar[rn], alloc.Scalar[rn], used.Scalar[rn]) {
			out = append(out, ErrReasonInsufficientPrefix+name)
		}
	}
	return out
}

// short reports whether a request of want does not fit beside used.
func short(want, alloc, used int64) bool { return want > 0 && want > alloc-used }

const fitScoreKey framework.StateKey = "PreScore" + FitName

// PreScore implements framework.PreScorePlugin: it computes the pod's
// requests once, with the scoring defaults for containers without any.
func (*Fit) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(fitScoreKey, &fitState{req: framework.PodRequests(pod, true)})
	return nil
}

// Score implements framework.ScorePlugin.
func (f *Fit) Score(_ context.Context, state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var podReq *framework.Resource
	if s, ok := state.Read(fitScoreKey).(*fitState); ok {
		podReq = s.req
	} else {
		podReq = framework.PodRequests(pod, true)
	}
	var total, weights int64
	for _, r := range scoredResources {
		alloc := ni.Allocatable.Get(r)
		if alloc == 0 {
			continue
		}
		req := ni.NonZeroRequested.Get(r) + podReq.Get(r)
		total += f.resourceScore(req, alloc)
		weights++
	}
	if weights == 0 {
		return 0, nil
	}
	return total / weights, nil
}

func (f *Fit) resourceScore(req, alloc int64) int64 {
	if f.strategy == framework.MostAllocated {
		return min(req, alloc) * framework.MaxNodeScore / alloc
	}
	if req > alloc {
		return 0
	}
	return (alloc - req) * framework.MaxNodeScore / alloc
}

// ScoreExtensions implements framework.ScorePlugin.
func (*Fit) ScoreExtensions() framework.ScoreExtensions { return nil }
