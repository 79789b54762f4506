package endpoints

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func pod(name, ip string, ready bool) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
	if ready {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}
	return p
}

func TestDesired(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("http")}}},
	}
	gone := pod("c", "10.0.0.3", true)
	gone.DeletionTimestamp = &metav1.Time{}
	ep := desired(svc, []*corev1.Pod{pod("b", "10.0.0.2", false), pod("a", "10.0.0.1", true), gone})
	if _, ok := ep.Labels[labelHeadless]; !ok {
		t.Error("headless label missing")
	}
	if len(ep.Subsets) != 1 {
		t.Fatalf("subsets = %d, want 1", len(ep.Subsets))
	}
	ss := ep.Subsets[0]
	if len(ss.Addresses) != 1 || ss.Addresses[0].IP != "10.0.0.1" || len(ss.NotReadyAddresses) != 1 ||
		ss.NotReadyAddresses[0].IP != "10.0.0.2" || ss.Ports[0].Port != 8080 || *ss.Addresses[0].NodeName != "n1" {
		t.Errorf("subset = %+v", ss)
	}
}
