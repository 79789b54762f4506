package integration

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/scheduler"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// startScheduler runs a scheduler against c until the test ends.
func startScheduler(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	s, err := scheduler.New(scheduler.Config{REST: c.Config, Log: slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("scheduler: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("scheduler did not stop within 30s")
		}
	})
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// schedNode builds a Ready node.
type schedNode struct{ n *corev1.Node }

func makeNode(name string) *schedNode {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	b := &schedNode{n: n}
	return b.capacity("4", "8Gi", "110")
}

func (b *schedNode) capacity(cpu, mem, pods string) *schedNode {
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem), corev1.ResourcePods: resource.MustParse(pods)}
	b.n.Status.Capacity, b.n.Status.Allocatable = rl, rl.DeepCopy()
	return b
}

func (b *schedNode) label(k, v string) *schedNode {
	b.n.Labels[k] = v
	return b
}

func (b *schedNode) taint(k, v string, effect corev1.TaintEffect) *schedNode {
	b.n.Spec.Taints = append(b.n.Spec.Taints, corev1.Taint{Key: k, Value: v, Effect: effect})
	return b
}

// create stores the node and marks it Ready through the status subresource.
func (b *schedNode) create(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	status := b.n.Status
	n, err := client.CoreV1().Nodes().Create(ctx, b.n, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status = status
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: metav1.Now()}}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// schedPod builds a pod.
type schedPod struct{ p *corev1.Pod }

func makePod(name string) *schedPod {
	return &schedPod{p: &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}},
	}}
}

func (b *schedPod) req(cpu, mem string) *schedPod {
	b.p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	return b
}

func (b *schedPod) label(k, v string) *schedPod {
	b.p.Labels[k] = v
	return b
}

func (b *schedPod) with(f func(*corev1.PodSpec)) *schedPod {
	f(&b.p.Spec)
	return b
}

func (b *schedPod) create(t *testing.T, client kubernetes.Interface) *corev1.Pod {
	t.Helper()
	p, err := client.CoreV1().Pods(b.p.Namespace).Create(context.Background(), b.p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitScheduled waits for the pod to be bound and returns its node.
func waitScheduled(t *testing.T, client kubernetes.Interface, name string) string {
	t.Helper()
	var node string
	waitLong(t, 30*time.Second, func() bool {
		p, err := client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			node = p.Spec.NodeName
		}
		return node != ""
	}, "pod "+name+" scheduled")
	return node
}

// waitUnschedulable waits for PodScheduled=False/Unschedulable with the
// message want; the scheduler may first see a partial cluster (informers
// list from the watch cache), so earlier messages may differ.
func waitUnschedulable(t *testing.T, client kubernetes.Interface, name, want string) {
	t.Helper()
	var msg string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		p, err := client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
					msg = c.Message
				}
			}
		}
		if msg == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pod %s unschedulable message:\n got %q\nwant %q", name, msg, want)
}

// podEvents returns "Type Reason: message" of the events about a pod.
func podEvents(t *testing.T, client kubernetes.Interface, name string) []string {
	t.Helper()
	l, err := client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range l.Items {
		out = append(out, fmt.Sprintf("%s %s: %s", e.Type, e.Reason, e.Message))
	}
	return out
}

func waitEvent(t *testing.T, client kubernetes.Interface, pod, want string) {
	t.Helper()
	var got []string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got = podEvents(t, client, pod)
		for _, e := range got {
			if e == want {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("event %q not found for %s; got %q", want, pod, got)
}

func TestSchedulerResourcesFitAndNodeAdd(t *testing.T) {
	c := testcluster.Start(t)
	for _, n := range []string{"n1", "n2"} {
		makeNode(n).capacity("2", "4Gi", "110").create(t, c.Client)
	}
	startScheduler(t, c)
	perNode := map[string]int{}
	for i := range 4 {
		makePod(fmt.Sprintf("p%d", i)).req("1", "1Gi").create(t, c.Client)
	}
	for i := range 4 {
		perNode[waitScheduled(t, c.Client, fmt.Sprintf("p%d", i))]++
	}
	if perNode["n1"] != 2 || perNode["n2"] != 2 {
		t.Fatalf("pods per node = %v, want 2 on each", perNode)
	}
	waitEvent(t, c.Client, "p0", fmt.Sprintf("Normal Scheduled: Successfully assigned default/p0 to %s", nodeOf(t, c.Client, "p0")))

	// Overcommit is refused, with kube-scheduler's message.
	makePod("big").req("1", "1Gi").create(t, c.Client)
	want := "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
	waitUnschedulable(t, c.Client, "big", want)
	waitEvent(t, c.Client, "big", "Warning FailedScheduling: "+want)

	// A new node makes it fit.
	makeNode("n3").capacity("2", "4Gi", "110").create(t, c.Client)
	if got := waitScheduled(t, c.Client, "big"); got != "n3" {
		t.Fatalf("big scheduled to %s, want n3", got)
	}
}

func nodeOf(t *testing.T, client kubernetes.Interface, pod string) string {
	t.Helper()
	p, err := client.CoreV1().Pods("default").Get(context.Background(), pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Spec.NodeName
}

func TestSchedulerTaintsAndFailureMessage(t *testing.T) {
	c := testcluster.Start(t)
	makeNode("cp").taint("node-role.kubernetes.io/control-plane", "", corev1.TaintEffectNoSchedule).create(t, c.Client)
	makeNode("gpu").taint("gpu", "true", corev1.TaintEffectNoSchedule).create(t, c.Client)
	for _, n := range []string{"w1", "w2", "w3"} {
		makeNode(n).capacity("1", "4Gi", "110").create(t, c.Client)
	}
	startScheduler(t, c)
	makePod("heavy").req("2", "1Gi").create(t, c.Client)
	want := "0/5 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. " +
		"preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."
	waitUnschedulable(t, c.Client, "heavy", want)
	waitEvent(t, c.Client, "heavy", "Warning FailedScheduling: "+want)

	makePod("tolerant").req("2", "1Gi").with(func(s *corev1.PodSpec) {
		s.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	}).create(t, c.Client)
	if got := waitScheduled(t, c.Client, "tolerant"); got != "gpu" {
		t.Fatalf("tolerant pod on %s, want gpu", got)
	}
}

func TestSchedulerNodeAffinityAndPodAntiAffinity(t *testing.T) {
	c := testcluster.Start(t)
	for i, zone := range []string{"a", "a", "b"} {
		makeNode(fmt.Sprintf("n%d", i)).label(corev1.LabelTopologyZone, zone).create(t, c.Client)
	}
	startScheduler(t, c)
	makePod("in-b").with(func(s *corev1.PodSpec) {
		s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"b"}}}}},
		}}}
	}).create(t, c.Client)
	if got := waitScheduled(t, c.Client, "in-b"); got != "n2" {
		t.Fatalf("in-b on %s, want n2", got)
	}
	makePod("nowhere").with(func(s *corev1.PodSpec) { s.NodeSelector = map[string]string{"disk": "ssd"} }).create(t, c.Client)
	waitUnschedulable(t, c.Client, "nowhere", "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")

	anti := func(name string) *schedPod {
		return makePod(name).label("app", "web").with(func(s *corev1.PodSpec) {
			s.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: corev1.LabelHostname,
			}}}}
		})
	}
	nodes := map[string]bool{}
	for i := range 3 {
		anti(fmt.Sprintf("web%d", i)).create(t, c.Client)
		nodes[waitScheduled(t, c.Client, fmt.Sprintf("web%d", i))] = true
	}
	if len(nodes) != 3 {
		t.Fatalf("anti-affine pods share nodes: %v", nodes)
	}
	anti("web3").create(t, c.Client)
	waitUnschedulable(t, c.Client, "web3", "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
}

func TestSchedulerTopologySpread(t *testing.T) {
	c := testcluster.Start(t)
	for i := range 6 {
		makeNode(fmt.Sprintf("n%d", i)).label(corev1.LabelTopologyZone, fmt.Sprintf("z%d", i%3)).create(t, c.Client)
	}
	// A seventh node without the zone label can never take spread pods.
	makeNode("nozone").create(t, c.Client)
	startScheduler(t, c)
	const pods = 12
	for i := range pods {
		makePod(fmt.Sprintf("s%d", i)).label("app", "spread").with(func(s *corev1.PodSpec) {
			s.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
				MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "spread"}},
			}}
		}).create(t, c.Client)
	}
	zoneOf := map[string]string{}
	for i := range 6 {
		zoneOf[fmt.Sprintf("n%d", i)] = fmt.Sprintf("z%d", i%3)
	}
	perZone := map[string]int{}
	for i := range pods {
		node := waitScheduled(t, c.Client, fmt.Sprintf("s%d", i))
		if node == "nozone" {
			t.Fatalf("s%d on a node without the topology key", i)
		}
		perZone[zoneOf[node]]++
	}
	for z, n := range perZone {
		if n != pods/3 {
			t.Fatalf("zone %s has %d pods, want %d (all: %v)", z, n, pods/3, perZone)
		}
	}
}

func TestSchedulerNodePorts(t *testing.T) {
	c := testcluster.Start(t)
	makeNode("n1").create(t, c.Client)
	makeNode("n2").create(t, c.Client)
	startScheduler(t, c)
	withPort := func(name string) *schedPod {
		return makePod(name).with(func(s *corev1.PodSpec) {
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP}}
		})
	}
	withPort("a").create(t, c.Client)
	withPort("b").create(t, c.Client)
	if a, b := waitScheduled(t, c.Client, "a"), waitScheduled(t, c.Client, "b"); a == b {
		t.Fatalf("both host-port pods on %s", a)
	}
	withPort("c").create(t, c.Client)
	want := "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
	waitUnschedulable(t, c.Client, "c", want)
}

func TestSchedulerPreemption(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	never := corev1.PreemptNever
	for _, pc := range []*schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "low"}, Value: 100},
		{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000},
		{ObjectMeta: metav1.ObjectMeta{Name: "high-polite"}, Value: 1000, PreemptionPolicy: &never},
	} {
		if _, err := c.Client.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	makeNode("n1").capacity("2", "4Gi", "110").create(t, c.Client)
	startScheduler(t, c)
	finishTerminating(t, c.Client)
	class := func(name string) func(*corev1.PodSpec) {
		return func(s *corev1.PodSpec) { s.PriorityClassName = name }
	}
	makePod("low").req("2", "1Gi").with(class("low")).create(t, c.Client)
	waitScheduled(t, c.Client, "low")

	makePod("polite").req("2", "1Gi").with(class("high-polite")).create(t, c.Client)
	waitUnschedulable(t, c.Client, "polite", "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..")
	if err := c.Client.CoreV1().Pods("default").Delete(ctx, "polite", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	makePod("high").req("2", "1Gi").with(class("high")).create(t, c.Client)
	if got := waitScheduled(t, c.Client, "high"); got != "n1" {
		t.Fatalf("high on %s", got)
	}
	if _, err := c.Client.CoreV1().Pods("default").Get(ctx, "low", metav1.GetOptions{}); err == nil {
		t.Fatal("low-priority pod still exists")
	}
	waitEvent(t, c.Client, "low", fmt.Sprintf("Normal Preempted: Preempted by pod %s on node n1", podUID(t, c.Client, "high")))
}

// finishTerminating plays the kubelet for deleted pods: once a pod is
// marked for graceful deletion, it is removed for good.
func finishTerminating(t *testing.T, client kubernetes.Interface) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			l, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
			if err == nil {
				for _, p := range l.Items {
					if p.DeletionTimestamp != nil {
						zero := int64(0)
						_ = client.CoreV1().Pods("default").Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.UID}})
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
}

func podUID(t *testing.T, client kubernetes.Interface, name string) string {
	t.Helper()
	p, err := client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(p.UID)
}
