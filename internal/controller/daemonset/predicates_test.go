package daemonset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type nodeBuilder struct{ n *corev1.Node }

func makeNode(name string) nodeBuilder {
	return nodeBuilder{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}}
}
func (b nodeBuilder) label(k, v string) nodeBuilder { b.n.Labels[k] = v; return b }
func (b nodeBuilder) taint(k string, e corev1.TaintEffect) nodeBuilder {
	b.n.Spec.Taints = append(b.n.Spec.Taints, corev1.Taint{Key: k, Effect: e})
	return b
}
func (b nodeBuilder) obj() *corev1.Node { return b.n }

func daemonSet(spec corev1.PodSpec) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
}

func TestShouldRun(t *testing.T) {
	affinity := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{
			{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}},
			{MatchFields: []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"special"}}}},
		}}}}
	for _, tc := range []struct {
		name      string
		spec      corev1.PodSpec
		node      *corev1.Node
		run, keep bool
	}{
		{"plain", corev1.PodSpec{}, makeNode("n").obj(), true, true},
		{"selector miss", corev1.PodSpec{NodeSelector: map[string]string{"gpu": "yes"}}, makeNode("n").obj(), false, false},
		{"selector hit", corev1.PodSpec{NodeSelector: map[string]string{"gpu": "yes"}}, makeNode("n").label("gpu", "yes").obj(), true, true},
		{"affinity by label", corev1.PodSpec{Affinity: affinity}, makeNode("n").label("zone", "a").obj(), true, true},
		{"affinity by name", corev1.PodSpec{Affinity: affinity}, makeNode("special").obj(), true, true},
		{"affinity miss", corev1.PodSpec{Affinity: affinity}, makeNode("n").label("zone", "b").obj(), false, false},
		{"NoSchedule taint", corev1.PodSpec{}, makeNode("n").taint("dedicated", corev1.TaintEffectNoSchedule).obj(), false, true},
		{"NoExecute taint", corev1.PodSpec{}, makeNode("n").taint("dedicated", corev1.TaintEffectNoExecute).obj(), false, false},
		{"PreferNoSchedule ignored", corev1.PodSpec{}, makeNode("n").taint("dedicated", corev1.TaintEffectPreferNoSchedule).obj(), true, true},
		{"automatic tolerations", corev1.PodSpec{}, makeNode("n").
			taint(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute).
			taint(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule).
			taint(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule).obj(), true, true},
		{"network unavailable without hostNetwork", corev1.PodSpec{}, makeNode("n").taint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule).obj(), false, true},
		{"network unavailable with hostNetwork", corev1.PodSpec{HostNetwork: true}, makeNode("n").taint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule).obj(), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, keep := shouldRun(daemonSet(tc.spec), tc.node)
			if run != tc.run || keep != tc.keep {
				t.Errorf("shouldRun = %v, %v; want %v, %v", run, keep, tc.run, tc.keep)
			}
		})
	}
}

func TestNewPodPinnedToNode(t *testing.T) {
	ds := daemonSet(corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}})
	ds.Name, ds.Generation = "agent", 3
	pod := newPod(ds, "n7", "abc")
	if got := targetNode(pod); got != "n7" || pod.Spec.NodeName != "" {
		t.Errorf("target %q nodeName %q", got, pod.Spec.NodeName)
	}
	want := map[string]string{appsv1.ControllerRevisionHashLabelKey: "abc", templateGenerationLabel: "3"}
	if d := cmp.Diff(want, pod.Labels); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
	if len(pod.Spec.Tolerations) != 6 {
		t.Errorf("tolerations %+v", pod.Spec.Tolerations)
	}
}

func TestBudget(t *testing.T) {
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	zero := intstr.FromInt32(0)
	for _, tc := range []struct {
		name                  string
		ru                    *appsv1.RollingUpdateDaemonSet
		desired               int
		surge, maxUnavailable int
	}{
		{"default", nil, 10, 0, 1},
		{"percent rounds up", &appsv1.RollingUpdateDaemonSet{MaxUnavailable: pct("25%")}, 10, 0, 3},
		{"surge", &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: pct("10%")}, 10, 1, 0},
		{"both zero", &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: &zero}, 10, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{RollingUpdate: tc.ru}}}
			if s, u := budget(ds, tc.desired); s != tc.surge || u != tc.maxUnavailable {
				t.Errorf("budget = %d, %d; want %d, %d", s, u, tc.surge, tc.maxUnavailable)
			}
		})
	}
}
