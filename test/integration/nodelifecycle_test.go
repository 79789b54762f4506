package integration

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/nodelifecycle"
	"github.com/skiff-sh/skiff/internal/controller/tainteviction"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestNodeLifecycleUnknownTaintAndEvict(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	createReadyNode(t, c, "n1", nil)
	renewLease(t, c, "n1")
	one := int64(1)
	pods := c.Client.CoreV1().Pods("default")
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "brief"}, Spec: corev1.PodSpec{NodeName: "n1",
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
			Tolerations: []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
				Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &one}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "forever"}, Spec: corev1.PodSpec{NodeName: "n1",
			Containers:  []corev1.Container{{Name: "c", Image: "busybox"}},
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}}},
	} {
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	opts := controllerctx.Defaults()
	opts.NodeMonitorGracePeriod = 2 * time.Second
	c.RunControllers(t, map[string]controllerctx.Constructor{
		"nodelifecycle": nodelifecycle.New, "taint-eviction-controller": tainteviction.New,
	}, &opts)

	var node *corev1.Node
	waitLong(t, 20*time.Second, func() bool {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		node = n
		r := nodeCondition(n, corev1.NodeReady)
		return r != nil && r.Status == corev1.ConditionUnknown &&
			hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) &&
			hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule)
	}, "node n1 Unknown and tainted unreachable")
	if r := nodeCondition(node, corev1.NodeReady); r.Reason != nodelifecycle.ReasonUnknown || r.Message != nodelifecycle.MessageUnknown {
		t.Errorf("Ready = %+v", r)
	}

	waitFor(t, func() bool {
		p, err := pods.Get(ctx, "brief", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true
		}
		return err == nil && p.DeletionTimestamp != nil
	}, "pod tolerating unreachable for 1s evicted")
	if p, err := pods.Get(ctx, "forever", metav1.GetOptions{}); err != nil || p.DeletionTimestamp != nil {
		t.Fatalf("pod tolerating every taint: %v, deleting=%v", err, p.DeletionTimestamp)
	}
	events, err := c.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "reason=TaintManagerEviction"})
	if err != nil || len(events.Items) == 0 {
		t.Errorf("no TaintManagerEviction event: %v", err)
	}

	// The kubelet comes back: a fresh lease and status clear the taints.
	renewLease(t, c, "n1")
	node, err = c.Client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	*nodeCondition(node, corev1.NodeReady) = corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
		Reason: "KubeletReady", LastHeartbeatTime: now, LastTransitionTime: now}
	if _, err := c.Client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
		return err == nil && len(n.Spec.Taints) == 0
	}, "taints removed from the recovered node")
}
