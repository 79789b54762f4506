package integration

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/nodelifecycle"
	"github.com/skiff-sh/skiff/internal/controller/replicaset"
	"github.com/skiff-sh/skiff/internal/controller/tainteviction"
	"github.com/skiff-sh/skiff/internal/server"
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

// TestNodeFailureReplacesPodsElsewhere is the self-healing promise end to
// end: a node stops heartbeating, its pods are evicted after their
// tolerationSeconds, and their ReplicaSet's replacements are scheduled on
// the node that is still alive.
func TestNodeFailureReplacesPodsElsewhere(t *testing.T) {
	c := testcluster.Start(t, func(cfg *server.Config) { cfg.DisableScheduler = false })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	schedulableNode(t, c, "dying")
	renewLease(t, c, "dying")
	c.RunControllers(t, map[string]controllerctx.Constructor{"replicaset": replicaset.New}, nil)

	rs := replicaSet("heal", 2)
	two := int64(2)
	rs.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &two}}
	if _, err := c.Client.AppsV1().ReplicaSets("default").Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	onNode := func(node string) int {
		n := 0
		for _, p := range listPods(t, c.Client, "default", "app=heal") {
			if p.Spec.NodeName == node && p.DeletionTimestamp == nil {
				n++
			}
		}
		return n
	}
	waitLong(t, 30*time.Second, func() bool { return onNode("dying") == 2 }, "both pods scheduled on the only node")

	// A second node that keeps heartbeating; the first one stops.
	schedulableNode(t, c, "alive")
	go func() {
		for ctx.Err() == nil {
			leases := c.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
			now := metav1.NewMicroTime(time.Now())
			if l, err := leases.Get(ctx, "alive", metav1.GetOptions{}); err == nil {
				l.Spec.RenewTime = &now
				_, _ = leases.Update(ctx, l, metav1.UpdateOptions{})
			} else if apierrors.IsNotFound(err) {
				holder, secs := "alive", int32(40)
				_, _ = leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "alive"},
					Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &now}}, metav1.CreateOptions{})
			}
			time.Sleep(300 * time.Millisecond)
		}
	}()
	opts := controllerctx.Defaults()
	opts.NodeMonitorGracePeriod = 2 * time.Second
	c.RunControllers(t, map[string]controllerctx.Constructor{
		"nodelifecycle": nodelifecycle.New, "taint-eviction-controller": tainteviction.New,
	}, &opts)

	waitLong(t, 60*time.Second, func() bool { return onNode("alive") == 2 && onNode("dying") == 0 },
		"both replicas replaced on the live node")
	n, err := c.Client.CoreV1().Nodes().Get(ctx, "alive", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := nodeCondition(n, corev1.NodeReady); r == nil || r.Status != corev1.ConditionTrue {
		t.Errorf("the heartbeating node is not Ready: %+v", r)
	}
}

// schedulableNode is a Ready node with room for pods.
func schedulableNode(t *testing.T, c *testcluster.Cluster, name string) {
	t.Helper()
	createReadyNode(t, c, name, nil)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := c.Client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")}
		n.Status.Capacity, n.Status.Allocatable = rl, rl.DeepCopy()
		_, err = c.Client.CoreV1().Nodes().UpdateStatus(context.Background(), n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
