package admission

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// An update that leaves out the priority and policy set at creation
// keeps them, as Kubernetes' plugin does; it never looks classes up.
func TestPriorityUpdateKeepsStoredValues(t *testing.T) {
	pods := registry.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespaced: true}
	prio, policy := int32(7), corev1.PreemptNever
	old := &corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: "gone", Priority: &prio, PreemptionPolicy: &policy}}
	pod := &corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: "gone"}}
	unused := Priority{
		Get: func(context.Context, string) (*schedulingv1.PriorityClass, error) {
			t.Fatal("class looked up")
			return nil, nil
		},
		List: func(context.Context) ([]schedulingv1.PriorityClass, error) {
			t.Fatal("classes listed")
			return nil, nil
		},
	}
	a := &generic.Attributes{Operation: generic.Update, Resource: pods, Object: pod, Old: old}
	if err := unused.Admit(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if pod.Spec.Priority == nil || *pod.Spec.Priority != 7 || pod.Spec.PreemptionPolicy == nil || *pod.Spec.PreemptionPolicy != corev1.PreemptNever {
		t.Fatalf("priority %v, policy %v; want the stored 7 and Never", pod.Spec.Priority, pod.Spec.PreemptionPolicy)
	}
}
