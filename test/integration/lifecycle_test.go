package integration

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestFinalizersBlockRemoval(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	cms := c.Client.CoreV1().ConfigMaps("default")
	cm := configMap("held", nil)
	cm.Finalizers = []string{"example.com/hold"}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := cms.Get(ctx, "held", metav1.GetOptions{})
	if err != nil || got.DeletionTimestamp == nil {
		t.Fatalf("object with a finalizer must stay, marked for deletion: %v %v", got, err)
	}
	got.Finalizers = append(got.Finalizers, "example.com/another")
	if _, err := cms.Update(ctx, got, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("adding a finalizer while deleting: want 403, got %v", err)
	}
	if _, err := cms.Patch(ctx, "held", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "held", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("clearing the last finalizer must remove the object: %v", err)
	}
}

func TestPodGracefulDeletion(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	pods := c.Client.CoreV1().Pods("default")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Target: corev1.ObjectReference{Kind: "Node", Name: "n1"}}
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("second binding: want 409, got %v", err)
	}
	if err := pods.Delete(ctx, "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := pods.Get(ctx, "p", metav1.GetOptions{})
	if err != nil || got.DeletionTimestamp == nil || *got.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("a bound pod must terminate gracefully: %+v %v", got, err)
	}
	zero := int64(0)
	if err := pods.Delete(ctx, "p", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "p", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("grace period 0 must remove the pod: %v", err)
	}
}

func TestStatusAndScaleSubresources(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	deps := c.Client.AppsV1().Deployments("default")
	d, err := deps.Create(ctx, deployment("s", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A status write cannot change the spec...
	d.Status.Replicas = 7
	d.Spec.Template.Spec.Containers[0].Image = "ignored"
	d, err = deps.UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil || d.Status.Replicas != 7 || d.Spec.Template.Spec.Containers[0].Image != "busybox:1.35" {
		t.Fatalf("status update: %+v %v", d, err)
	}
	// ...and a spec write cannot change the status.
	d.Status.Replicas = 1
	d.Labels = map[string]string{"x": "y"}
	d, err = deps.Update(ctx, d, metav1.UpdateOptions{})
	if err != nil || d.Status.Replicas != 7 || d.Labels["x"] != "y" {
		t.Fatalf("main update: %+v %v", d, err)
	}
	scale, err := deps.GetScale(ctx, "s", metav1.GetOptions{})
	if err != nil || scale.Spec.Replicas != 1 || scale.Status.Replicas != 7 || scale.Status.Selector != "app=s" {
		t.Fatalf("scale: %+v %v", scale, err)
	}
	scale.Spec.Replicas = 5
	if _, err := deps.UpdateScale(ctx, "s", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err = deps.Get(ctx, "s", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 5 || d.Labels["x"] != "y" || d.Status.Replicas != 7 {
		t.Fatalf("after scale: %+v %v", d, err)
	}
	if _, err := deps.UpdateScale(ctx, "s", scale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("stale scale: want 409, got %v", err)
	}
}

func TestNamespaceTerminatingRefusesObjects(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Client.CoreV1().Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ns, err := c.Client.CoreV1().Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
	if err != nil || ns.Status.Phase != corev1.NamespaceTerminating {
		t.Fatalf("namespace phase = %v, %v", ns.Status.Phase, err)
	}
	_, err = c.Client.CoreV1().ConfigMaps("doomed").Create(ctx, configMap("x", nil), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		t.Fatalf("create in terminating namespace: want 403 NamespaceTerminating, got %v", err)
	}
	_, err = c.Client.CoreV1().ConfigMaps("missing").Create(ctx, configMap("x", nil), metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("create in missing namespace: want 404, got %v", err)
	}
	if err := c.Client.CoreV1().Namespaces().Delete(ctx, "kube-system", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("deleting kube-system: want 403, got %v", err)
	}
}

func TestSystemObjectsExist(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if _, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		svc, err := c.Client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		ep, eerr := c.Client.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err == nil && eerr == nil && svc.Spec.ClusterIP == "10.43.0.1" && len(ep.Subsets) == 1 && len(ep.Subsets[0].Addresses) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubernetes service %v / endpoints %v: %v %v", svc, ep, err, eerr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
