package agent

import (
	"context"
	"log/slog"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestRecordPodCIDR(t *testing.T) {
	const want = "10.42.7.0/24"
	for _, tc := range []struct {
		name     string
		existing *corev1.Node
		wantSpec string
	}{
		{name: "new node gets the range", wantSpec: want},
		{name: "node without a range gets it", existing: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, wantSpec: want},
		{name: "node with another range keeps it", existing: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"},
			Spec: corev1.NodeSpec{PodCIDR: "10.42.9.0/24", PodCIDRs: []string{"10.42.9.0/24"}}}, wantSpec: "10.42.9.0/24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset()
			if tc.existing != nil {
				client = fake.NewClientset(tc.existing)
			}
			a := &Agent{cfg: Config{NodeName: "n1", PodCIDR: want}, log: slog.New(slog.DiscardHandler)}
			a.recordPodCIDR(context.Background(), client)
			n, err := client.CoreV1().Nodes().Get(context.Background(), "n1", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if n.Spec.PodCIDR != tc.wantSpec || len(n.Spec.PodCIDRs) != 1 || n.Spec.PodCIDRs[0] != tc.wantSpec {
				t.Errorf("spec.podCIDR %q, podCIDRs %v; want %s", n.Spec.PodCIDR, n.Spec.PodCIDRs, tc.wantSpec)
			}
		})
	}
}
