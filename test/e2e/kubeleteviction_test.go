package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/kubelet"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// TestEviction puts the node under memory pressure with a threshold no
// machine meets (memory.available<1Pi) and checks that the kubelet
// reports MemoryPressure and evicts its pods one at a time, lowest
// priority first, never the system-critical one, and collects the
// evicted pods' containers.
func TestEviction(t *testing.T) {
	const ns = "e2e-eviction"
	requireNode(t)
	c := testcluster.Start(t)
	createNamespace(t, c, ns)
	pods := c.Client.CoreV1().Pods(ns)
	// The pods exist before the node does, so the first eviction already
	// chooses among all of them.
	for name, value := range map[string]int32{"e2e-low": -10, "e2e-high": 1000} {
		pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}
		if _, err := c.Client.SchedulingV1().PriorityClasses().Create(context.Background(), pc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name, class := range map[string]string{"low": "e2e-low", "high": "e2e-high", "critical": "system-cluster-critical"} {
		pod := makePod(name, corev1.RestartPolicyAlways, "sleep", "3600")
		pod.Spec.PriorityClassName = class
		create(t, pods, pod)
	}
	hard, err := kubelet.ParseThresholds("memory.available<1Pi")
	if err != nil {
		t.Fatal(err)
	}
	n := startNodeWith(t, c, "e2e-node", func(cfg *agent.Config) {
		cfg.Eviction = kubelet.EvictionPolicy{Hard: hard, Period: 2 * time.Second}
		cfg.GC.ContainerPeriod = 2 * time.Second
	})
	ctx := context.Background()

	// Evictions go one at a time, so high is never evicted while low
	// is not yet.
	evicted := map[string]*corev1.Pod{}
	waitFor(t, 3*time.Minute, "low and high evicted", func() (bool, error) {
		for _, name := range []string{"low", "high"} {
			p, err := pods.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if p.Status.Reason == "Evicted" && evicted[name] == nil {
				evicted[name] = p
			}
		}
		if evicted["high"] != nil && evicted["low"] == nil {
			t.Fatal("high was evicted before low")
		}
		return len(evicted) == 2, nil
	})
	low := evicted["low"]
	if low.Status.Phase != corev1.PodFailed {
		t.Errorf("evicted pod phase %s, want Failed", low.Status.Phase)
	}
	const prefix = "The node was low on resource: memory. Threshold quantity: 1Pi, available: "
	if !strings.HasPrefix(low.Status.Message, prefix) {
		t.Errorf("eviction message %q, want it to start %q", low.Status.Message, prefix)
	}
	if dt := podCondition(low, corev1.DisruptionTarget); dt == nil || dt.Reason != "TerminationByKubelet" {
		t.Errorf("DisruptionTarget condition %+v, want reason TerminationByKubelet", dt)
	}
	waitEvent(t, c.Client, ns, "low", "Evicted", prefix)
	waitFor(t, 30*time.Second, "node MemoryPressure=True", func() (bool, error) {
		nd, err := c.Client.CoreV1().Nodes().Get(ctx, "e2e-node", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range nd.Status.Conditions {
			if cond.Type == corev1.NodeMemoryPressure {
				return cond.Status == corev1.ConditionTrue && cond.Reason == "KubeletHasInsufficientMemory", nil
			}
		}
		return false, nil
	})
	waitFor(t, 60*time.Second, "the evicted pods' containers collected", func() (bool, error) {
		ls, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, p := range ls.Items {
			if p.Status.Reason == "Evicted" && len(n.containersOf(t, string(p.UID))) > 0 {
				return false, nil
			}
		}
		return true, nil
	})
	crit, err := pods.Get(ctx, "critical", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if crit.Status.Phase != corev1.PodRunning {
		t.Errorf("the system-critical pod is %s (%s), want Running", crit.Status.Phase, crit.Status.Reason)
	}
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
