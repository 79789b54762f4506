package servicelb

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/nodeaddr"
)

// testNode builds a node with the given InternalIPs and Ready status.
type testNode struct{ n corev1.Node }

func makeNode(ready corev1.ConditionStatus, ips ...string) *testNode {
	tn := &testNode{}
	tn.n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}
	for _, ip := range ips {
		tn.n.Status.Addresses = append(tn.n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
	}
	tn.n.Status.Addresses = append(tn.n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.1"})
	return tn
}

func (tn *testNode) cordoned() *testNode { tn.n.Spec.Unschedulable = true; return tn }

func (tn *testNode) label(k string) *testNode {
	tn.n.ObjectMeta = metav1.ObjectMeta{Labels: map[string]string{k: ""}}
	return tn
}

func (tn *testNode) obj() *corev1.Node { return &tn.n }

func TestAllNodeAddrs(t *testing.T) {
	nodes := []*corev1.Node{
		makeNode(corev1.ConditionTrue, "10.0.0.20").obj(),
		makeNode(corev1.ConditionTrue, "10.0.0.3", "fd00::3").obj(),
		makeNode(corev1.ConditionTrue, "10.0.0.3").obj(),
		makeNode(corev1.ConditionFalse, "10.0.0.4").obj(),
		makeNode(corev1.ConditionUnknown, "10.0.0.5").obj(),
		makeNode(corev1.ConditionTrue, "10.0.0.6").cordoned().obj(),
		makeNode(corev1.ConditionTrue, "10.0.0.7").label(nodeaddr.ExcludeLabel).obj(),
		{Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.8"}}}},
	}
	var got []string
	for _, a := range nodeaddr.LoadBalancerAddrs(nodes) {
		got = append(got, a.String())
	}
	want := []string{"10.0.0.3", "10.0.0.20", "fd00::3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("node addresses (-want +got):\n%s", diff)
	}
}
