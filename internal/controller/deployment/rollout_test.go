package deployment

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
)

// An old ReplicaSet whose status still counts the pods of its previous,
// larger size has no unhealthy pods: cleaning up must never scale it up.
func TestCleanupUnhealthyNeverScalesUp(t *testing.T) {
	two := int32(2)
	stale := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-old", Namespace: "default"},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &two},
		Status:     appsv1.ReplicaSetStatus{Replicas: 3, AvailableReplicas: 3},
	}
	client := fake.NewClientset(stale)
	c := &Controller{client: client, recorder: record.NewFakeRecorder(10)}
	d := rollingDeployment(4, intstr.FromInt32(1), intstr.FromInt32(1))
	n, err := c.cleanupUnhealthy(context.Background(), d, []*appsv1.ReplicaSet{stale.DeepCopy()}, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.AppsV1().ReplicaSets("default").Get(context.Background(), "web-old", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || *got.Spec.Replicas != 2 {
		t.Errorf("cleaned %d, replicas now %d; want 0 and 2", n, *got.Spec.Replicas)
	}
}

// Right after an old ReplicaSet was scaled down its status still counts
// the pods being deleted; scaling down further on that count would leave
// fewer than replicas-maxUnavailable available.
func TestScaleDownOldCountsOnlyKeptPods(t *testing.T) {
	two, one := int32(2), int32(1)
	old := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-old", Namespace: "default"},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &two},
		Status:     appsv1.ReplicaSetStatus{Replicas: 4, AvailableReplicas: 4},
	}
	newRS := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-new", Namespace: "default"},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &one},
		Status:     appsv1.ReplicaSetStatus{Replicas: 1, AvailableReplicas: 1},
	}
	client := fake.NewClientset(old, newRS)
	c := &Controller{client: client, recorder: record.NewFakeRecorder(10)}
	d := rollingDeployment(4, intstr.FromInt32(1), intstr.FromInt32(1))
	// Kept: 2 old + 1 new = 3 = 4 - maxUnavailable: nothing may go.
	n, err := c.scaleDownOld(context.Background(), d, []*appsv1.ReplicaSet{old, newRS}, []*appsv1.ReplicaSet{old})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("scaled down %d old pods; want 0", n)
	}
}
