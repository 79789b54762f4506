package endpointslice

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/controller/podendpoint"
)

func testService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "svc-uid"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("http")}},
		},
	}
}

func testPod(name, ip string, ready bool, port int32) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.PodSpec{NodeName: "n1", Hostname: name, Subdomain: "web", Containers: []corev1.Container{{
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port, Protocol: corev1.ProtocolTCP}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
	if ready {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}
	return p
}

func endpoints(svc *corev1.Service, pods ...*corev1.Pod) []podendpoint.Endpoint {
	var out []podendpoint.Endpoint
	for _, p := range pods {
		if e, ok := podendpoint.For(svc, p, true); ok {
			out = append(out, e)
		}
	}
	return out
}

func zoneA(string) string { return "zone-a" }

func TestDesiredSlices(t *testing.T) {
	svc := testService()
	terminating := testPod("c", "10.0.0.3", true, 8080)
	terminating.DeletionTimestamp = &metav1.Time{}
	eps := endpoints(svc, testPod("a", "10.0.0.1", true, 8080), testPod("b", "10.0.0.2", false, 8080),
		testPod("d", "10.0.0.4", true, 9090), terminating, testPod("noip", "", true, 8080))
	slices := desiredSlices(svc, eps, zoneA, 100)
	if len(slices) != 2 {
		t.Fatalf("got %d slices, want 2 (one per resolved port)", len(slices))
	}
	s := slices[0]
	if *s.Ports[0].Port != 8080 || len(s.Endpoints) != 3 {
		t.Fatalf("first slice: ports %v, %d endpoints", *s.Ports[0].Port, len(s.Endpoints))
	}
	got := ""
	for _, e := range s.Endpoints {
		got += fmt.Sprintf("%s r=%v s=%v t=%v h=%s z=%s;", e.Addresses[0], *e.Conditions.Ready, *e.Conditions.Serving,
			*e.Conditions.Terminating, *e.Hostname, *e.Zone)
	}
	want := "10.0.0.1 r=true s=true t=false h=a z=zone-a;10.0.0.2 r=false s=false t=false h=b z=zone-a;10.0.0.3 r=false s=true t=true h=c z=zone-a;"
	if got != want {
		t.Errorf("endpoints\n got %s\nwant %s", got, want)
	}
	if s.Labels[discoveryv1.LabelServiceName] != "web" || s.Labels[discoveryv1.LabelManagedBy] != ManagedBy ||
		s.OwnerReferences[0].UID != "svc-uid" || s.GenerateName != "web-" {
		t.Errorf("slice meta: %+v", s.ObjectMeta)
	}
}

func TestDesiredSlicesChunksAndPlaceholder(t *testing.T) {
	svc := testService()
	var pods []*corev1.Pod
	for i := range 250 {
		pods = append(pods, testPod(fmt.Sprintf("p%d", i), fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), true, 8080))
	}
	if got := len(desiredSlices(svc, endpoints(svc, pods...), zoneA, 100)); got != 3 {
		t.Errorf("250 endpoints in %d slices, want 3", got)
	}
	empty := desiredSlices(svc, nil, zoneA, 100)
	if len(empty) != 1 || len(empty[0].Endpoints) != 0 {
		t.Errorf("no endpoints: %d slices, want one empty placeholder", len(empty))
	}
}

func TestPublishNotReadyAndPlan(t *testing.T) {
	svc := testService()
	svc.Spec.PublishNotReadyAddresses = true
	want := desiredSlices(svc, endpoints(svc, testPod("b", "10.0.0.2", false, 8080)), zoneA, 100)
	if !*want[0].Endpoints[0].Conditions.Ready {
		t.Error("publishNotReadyAddresses: not-ready pod should be ready")
	}
	have := want[0].DeepCopy()
	have.Name = "web-x"
	if u, c, d := plan([]*discoveryv1.EndpointSlice{have}, want); len(u)+len(c)+len(d) != 0 {
		t.Errorf("unchanged slice rewritten: %d updates, %d creates, %d deletes", len(u), len(c), len(d))
	}
	changed := desiredSlices(svc, endpoints(svc, testPod("b", "10.0.0.9", false, 8080)), zoneA, 100)
	u, c, d := plan([]*discoveryv1.EndpointSlice{have}, changed)
	if len(u) != 1 || u[0].Name != "web-x" || len(c)+len(d) != 0 {
		t.Errorf("changed slice: %d updates, %d creates, %d deletes", len(u), len(c), len(d))
	}
}
