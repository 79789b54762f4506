// Package defaultbinder binds pods through the pods/binding subresource.
package defaultbinder

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

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
	core := p.h.ClientSet().CoreV1()
	// The typed Bind turns its empty CreateOptions into (no) query
	// parameters by reflection on every call; posting the Binding directly
	// sends the same request for a fraction of the CPU. Fake clientsets
	// have no REST client and take the typed path.
	if rc, ok := core.RESTClient().(*rest.RESTClient); ok && rc != nil {
		return framework.AsStatus(rc.Post().Namespace(pod.Namespace).Resource("pods").Name(pod.Name).SubResource("binding").Body(b).Do(ctx).Error())
	}
	return framework.AsStatus(core.Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{}))
}
