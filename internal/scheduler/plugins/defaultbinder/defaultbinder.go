// Package defaultbinder binds pods through the pods/binding subresource.
package defaultbinder

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "DefaultBinder"

// Plugin is the DefaultBinder plugin.
type Plugin struct{ h framework.Handle }

// New is the plugin's factory.
func New(h framework.Handle, _ framework.Args) (framework.Plugin, error) { return &Plugin{h: h}, nil }

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// Bind implements framework.BindPlugin: POST pods/binding, with the pod's
// UID as precondition.
func (p *Plugin) Bind(ctx context.Context, _ *framework.CycleState, pod *corev1.Pod, node string) *framework.Status {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	return framework.AsStatus(p.h.ClientSet().CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{}))
}
