package integration

import (
	"context"
	"sort"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/daemonset"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// daemonPodNodes returns the nodes the live pods of app are pinned to by
// their required node affinity, and how many have revision hash.
func daemonPodNodes(t *testing.T, c *testcluster.Cluster, app, hash string) (nodes []string, updated int) {
	for _, p := range listPods(t, c.Client, "default", "app="+app) {
		if p.DeletionTimestamp != nil {
			continue
		}
		terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		nodes = append(nodes, terms[0].MatchFields[0].Values...)
		if p.Labels[appsv1.ControllerRevisionHashLabelKey] == hash {
			updated++
		}
	}
	sort.Strings(nodes)
	return nodes, updated
}

// markPodsReady plays the kubelet for the pods of app: Running and Ready.
func markPodsReady(t *testing.T, c *testcluster.Cluster, app string) {
	for _, p := range listPods(t, c.Client, "default", "app="+app) {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodRunning {
			continue
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		if _, err := c.Client.CoreV1().Pods("default").UpdateStatus(context.Background(), &p, metav1.UpdateOptions{}); err != nil {
			t.Logf("mark ready: %v", err)
		}
	}
}

func TestDaemonSetOnePodPerEligibleNode(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	createReadyNode(t, c, "n1", nil)
	createReadyNode(t, c, "n2", nil)
	createReadyNode(t, c, "tainted", nil, corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule})
	createReadyNode(t, c, "cordoned", nil, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	c.RunControllers(t, map[string]controllerctx.Constructor{"daemonset": daemonset.New}, nil)

	one := intstr.FromInt32(1)
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: podTemplate("agent"),
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &one}},
		},
	}
	dss := c.Client.AppsV1().DaemonSets("default")
	if _, err := dss.Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"cordoned", "n1", "n2"}
	var hash string
	waitFor(t, func() bool {
		revs, err := c.Client.AppsV1().ControllerRevisions("default").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
		if err != nil || len(revs.Items) != 1 {
			return false
		}
		hash = revs.Items[0].Labels[appsv1.ControllerRevisionHashLabelKey]
		nodes, updated := daemonPodNodes(t, c, "agent", hash)
		return len(nodes) == 3 && nodes[0] == want[0] && nodes[1] == want[1] && nodes[2] == want[2] && updated == 3
	}, "one pod on each untainted or cordoned node, with the revision hash")

	markPodsReady(t, c, "agent")
	waitFor(t, func() bool {
		got, err := dss.Get(ctx, "agent", metav1.GetOptions{})
		st := got.Status
		return err == nil && st.DesiredNumberScheduled == 3 && st.CurrentNumberScheduled == 3 && st.NumberReady == 3 &&
			st.NumberAvailable == 3 && st.UpdatedNumberScheduled == 3 && st.NumberMisscheduled == 0 && st.ObservedGeneration == got.Generation
	}, "status counting three ready pods")

	// A new template rolls out one node at a time.
	got, err := dss.Get(ctx, "agent", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Spec.Template.Spec.Containers[0].Image = "busybox:1.36"
	if _, err := dss.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 30*time.Second, func() bool {
		markPodsReady(t, c, "agent")
		d, err := dss.Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.NumberUnavailable > 1 {
			t.Fatalf("%d nodes unavailable with maxUnavailable 1", d.Status.NumberUnavailable)
		}
		return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedNumberScheduled == 3 && d.Status.NumberAvailable == 3
	}, "rolling update to the new template")
	for _, p := range listPods(t, c.Client, "default", "app=agent") {
		if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image != "busybox:1.36" {
			t.Errorf("pod %s still runs %s", p.Name, p.Spec.Containers[0].Image)
		}
	}
}
