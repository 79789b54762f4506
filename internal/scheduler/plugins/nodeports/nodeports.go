// Package nodeports keeps pods off nodes where a host port they ask for
// is taken.
package nodeports

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "NodePorts"

// ErrReason is the reason for a node whose ports are taken.
const ErrReason = "node(s) didn't have free ports for the requested pod ports"

const stateKey framework.StateKey = "PreFilter" + Name

// Plugin is the NodePorts plugin.
type Plugin struct{}

// New is the plugin's factory.
func New(framework.Handle, framework.Args) (framework.Plugin, error) { return &Plugin{}, nil }

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// EventsToRegister implements framework.EnqueueExtensions.
func (*Plugin) EventsToRegister() []framework.ClusterEvent {
	return []framework.ClusterEvent{
		{Resource: framework.AssignedPod, Action: framework.Delete},
		{Resource: framework.Node, Action: framework.Add},
	}
}

type preFilterState []framework.HostPort

func (s preFilterState) Clone() framework.StateData { return s }

// PreFilter implements framework.PreFilterPlugin; pods without host ports
// skip the filter.
func (*Plugin) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	ports := framework.HostPortsOf(pod)
	if len(ports) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(stateKey, preFilterState(ports))
	return nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (*Plugin) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter implements framework.FilterPlugin.
func (*Plugin) Filter(_ context.Context, state *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	ports, _ := state.Read(stateKey).(preFilterState)
	for _, p := range ports {
		if ni.UsedPorts.Conflicts(p) {
			return framework.NewStatus(framework.Unschedulable, ErrReason)
		}
	}
	return nil
}
