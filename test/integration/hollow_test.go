package integration

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/cri/fake"
	"github.com/skiff-sh/skiff/internal/hollow"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestHollowNodesRunPods(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	// No controllers run: the pods' token volumes need the account.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := c.Client.CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	fleet := runHollowFleet(t, hollow.Config{Client: c.Client, Count: 3, Zones: []string{"a", "b", "c"}, CPU: "2", LeaseInterval: time.Second, RootCA: c.Config.CAData})
	waitFor(t, func() bool {
		nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "skiff.dev/hollow=true"})
		return err == nil && len(nodes.Items) == 3
	}, "3 hollow nodes")
	// The kubelet registers the Node, then reports its status in a second
	// write: wait for both.
	var node *corev1.Node
	waitFor(t, func() bool {
		var err error
		node, err = c.Client.CoreV1().Nodes().Get(ctx, "hollow-node-1", metav1.GetOptions{})
		return err == nil && nodeReady(node)
	}, "hollow-node-1 to be Ready")
	if node.Labels[corev1.LabelTopologyZone] != "b" || node.Status.Allocatable.Cpu().String() != "2" ||
		node.Status.NodeInfo.ContainerRuntimeVersion != "fake://"+fake.Version {
		t.Fatalf("node 1: labels %v allocatable %v conditions %v", node.Labels, node.Status.Allocatable, node.Status.Conditions)
	}
	// Hollow addresses are loopback: the API server's kubelet requests
	// to them cannot leave the machine.
	if ip := node.Status.Addresses[0]; ip.Type != corev1.NodeInternalIP || !netip.MustParseAddr(ip.Address).IsLoopback() {
		t.Errorf("node 1's addresses %v: want a loopback InternalIP first", node.Status.Addresses)
	}
	if len(node.Status.Addresses) != 2 || node.Status.Addresses[1].Address != "hollow-node-1" {
		t.Errorf("node 1's addresses %v: want its InternalIP and its own name only", node.Status.Addresses)
	}
	// The kubelet takes its Lease after registering the Node, as
	// Kubernetes' does: wait for it to appear.
	var first time.Time
	waitFor(t, func() bool {
		l, err := c.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "hollow-node-1", metav1.GetOptions{})
		if err != nil || l.Spec.RenewTime == nil {
			return false
		}
		first = l.Spec.RenewTime.Time
		return true
	}, "hollow-node-1's lease")
	waitFor(t, func() bool {
		l, err := c.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "hollow-node-1", metav1.GetOptions{})
		return err == nil && l.Spec.RenewTime.After(first)
	}, "the lease to be renewed")

	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{NodeName: "hollow-node-2", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Ready
	}, "the pod to run on the hollow node")
	// The node's kubelet ran the pod's container in its fake runtime.
	if d := fleet.Runtime(2).Dump(); !strings.Contains(d, "container c in") || !strings.Contains(d, "CONTAINER_RUNNING") {
		t.Fatalf("hollow-node-2's runtime:\n%s", d)
	}
	// Graceful deletion completes because the hollow node confirms it.
	if err := c.Client.CoreV1().Pods("default").Delete(ctx, "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := c.Client.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}, "the pod to be gone")
	if d := fleet.Runtime(2).Dump(); d != "" {
		t.Errorf("hollow-node-2's runtime after the deletion:\n%s", d)
	}

	// Network probes fail without dialing: hollow pod IPs exist nowhere,
	// and a dial would follow the default route off the machine.
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}, PeriodSeconds: 1}
	probed := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probed"}, Spec: corev1.PodSpec{NodeName: "hollow-node-0",
		Containers: []corev1.Container{{Name: "c", Image: "busybox", ReadinessProbe: probe}}}}
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, probed, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		evs, err := c.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=probed,reason=Unhealthy"})
		return err == nil && len(evs.Items) > 0 && strings.Contains(evs.Items[0].Message, "hollow node: pods have no network")
	}, "the readiness probe to fail without a network")
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// runHollowFleet runs a fleet of hollow nodes until the test ends.
func runHollowFleet(t *testing.T, cfg hollow.Config) *hollow.Fleet {
	t.Helper()
	fleet, err := hollow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fleet.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fleet: %v", err)
		}
	})
	return fleet
}
