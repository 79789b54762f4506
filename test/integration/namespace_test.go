package integration

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/namespace"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestNamespaceDeletion(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"namespace": namespace.New}, nil)
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	held := configMap("held", nil)
	held.Finalizers = []string{"example.com/hold"}
	for _, cm := range []*corev1.ConfigMap{configMap("a", nil), held} {
		if _, err := c.Client.CoreV1().ConfigMaps("doomed").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: podTemplate("x").Spec}
	if _, err := c.Client.CoreV1().Pods("doomed").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Client.CoreV1().Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The finalizer keeps one object, and so the namespace, with conditions saying why.
	waitLong(t, 20*time.Second, func() bool {
		ns, err := c.Client.CoreV1().Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, cond := range ns.Status.Conditions {
			if cond.Type == corev1.NamespaceFinalizersRemaining && cond.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}, "NamespaceFinalizersRemaining condition")
	if l, err := c.Client.CoreV1().Pods("doomed").List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Errorf("pods left: %v %v", err, l)
	}
	cm, err := c.Client.CoreV1().ConfigMaps("doomed").Get(ctx, "held", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Finalizers = nil
	if _, err := c.Client.CoreV1().ConfigMaps("doomed").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 30*time.Second, func() bool {
		_, err := c.Client.CoreV1().Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}, "namespace to be removed")
}
