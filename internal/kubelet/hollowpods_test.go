package kubelet

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
)

func boundPod(name, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: node}}
}

// TestSharedPodsFanOut checks each subscriber gets its node's pods: the
// ones known before it subscribed, then new ones, and no other node's.
func TestSharedPodsFanOut(t *testing.T) {
	client := fake.NewClientset(boundPod("early", "n1"), boundPod("other", "n2"))
	s, err := NewSharedPods(client)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if !cache.WaitForCacheSync(ctx.Done(), s.informer.HasSynced) {
		t.Fatal("not synced")
	}
	got := make(chan string, 10)
	unsubscribe := s.subscribe("n1", func(obj any) { got <- obj.(*corev1.Pod).Name })
	defer unsubscribe()
	for _, p := range []*corev1.Pod{boundPod("n2-late", "n2"), boundPod("late", "n1")} {
		if _, err := client.CoreV1().Pods("ns").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Events are dispatched in order, so n2-late's went by before late's;
	// early may come twice (replayed, and from the initial list).
	seen := map[string]bool{}
	for !seen["late"] {
		select {
		case name := <-got:
			seen[name] = true
		case <-time.After(time.Minute):
			t.Fatalf("n1 got %v, never late", seen)
		}
	}
	if !seen["early"] || seen["n2-late"] || seen["other"] {
		t.Errorf("n1 got %v, want early and late only", seen)
	}
	if pod, err := s.lister.Pods("ns").Get("other"); err != nil || pod.Spec.NodeName != "n2" {
		t.Errorf("shared lister: %v %v, want n2's pod too", pod, err)
	}
}
