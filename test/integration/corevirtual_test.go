package integration

import (
	"context"
	"regexp"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// TestBindings binds a pod through POST /api/v1/namespaces/NS/bindings,
// which names the pod in the Binding's metadata, with pods/binding's
// semantics: once, then Conflict.
func TestBindings(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "unbound"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bind := func() error {
		b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "unbound"}, Target: corev1.ObjectReference{Kind: "Node", Name: "n1"}}
		return c.Client.CoreV1().RESTClient().Post().Namespace("default").Resource("bindings").Body(b).Do(ctx).Error()
	}
	if err := bind(); err != nil {
		t.Fatal(err)
	}
	got, err := c.Client.CoreV1().Pods("default").Get(ctx, "unbound", metav1.GetOptions{})
	if err != nil || got.Spec.NodeName != "n1" {
		t.Fatalf("pod after binding: %v, nodeName %q", err, got.Spec.NodeName)
	}
	if err := bind(); !apierrors.IsConflict(err) {
		t.Errorf("second binding: %v, want Conflict", err)
	}
}

// TestComponentStatuses: kubectl get cs prints Kubernetes' columns and
// deprecation warning; a component is healthy while its leader Lease is
// renewed (the test cluster runs neither component, so the test holds
// the scheduler's lease itself), and etcd-0 while storage answers.
func TestComponentStatuses(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	holder, secs, now := "test", int32(15), metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "kube-scheduler"}, Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &now}}
	if _, err := c.Client.CoordinationV1().Leases(metav1.NamespaceSystem).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var out string
	// The lease reaches the API server's watch cache asynchronously.
	waitFor(t, func() bool {
		out = newKubectl(t, c).must("get", "componentstatuses")
		return regexp.MustCompile(`scheduler\s+Healthy\s+ok`).MatchString(out)
	}, "the scheduler to be healthy")
	for _, want := range []string{
		"Warning: v1 ComponentStatus is deprecated in v1.19+",
		`NAME\s+STATUS\s+MESSAGE\s+ERROR`,
		`controller-manager\s+Unhealthy\s+no leader`,
		`etcd-0\s+Healthy\s+ok`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("kubectl get cs: no %q in\n%s", want, out)
		}
	}
	cs, err := c.Client.CoreV1().ComponentStatuses().Get(ctx, "etcd-0", metav1.GetOptions{})
	if err != nil || len(cs.Conditions) != 1 || cs.Conditions[0].Status != corev1.ConditionTrue {
		t.Errorf("get etcd-0: %v %+v", err, cs)
	}
	if _, err := c.Client.CoreV1().ComponentStatuses().Get(ctx, "kubelet", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get kubelet: %v, want NotFound", err)
	}
}
