package nodelifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func node(unschedulable bool, conds ...corev1.NodeCondition) *corev1.Node {
	return &corev1.Node{Spec: corev1.NodeSpec{Unschedulable: unschedulable}, Status: corev1.NodeStatus{Conditions: conds}}
}

func cond(typ corev1.NodeConditionType, s corev1.ConditionStatus) corev1.NodeCondition {
	return corev1.NodeCondition{Type: typ, Status: s}
}

func TestWantedTaints(t *testing.T) {
	ns := func(k string) corev1.Taint { return corev1.Taint{Key: k, Effect: corev1.TaintEffectNoSchedule} }
	ne := func(k string) corev1.Taint { return corev1.Taint{Key: k, Effect: corev1.TaintEffectNoExecute} }
	for _, tc := range []struct {
		name string
		node *corev1.Node
		want []corev1.Taint
	}{
		{"ready", node(false, cond(corev1.NodeReady, corev1.ConditionTrue)), nil},
		{"not ready", node(false, cond(corev1.NodeReady, corev1.ConditionFalse)),
			[]corev1.Taint{ns(corev1.TaintNodeNotReady), ne(corev1.TaintNodeNotReady)}},
		{"unknown", node(false, cond(corev1.NodeReady, corev1.ConditionUnknown)),
			[]corev1.Taint{ns(corev1.TaintNodeUnreachable), ne(corev1.TaintNodeUnreachable)}},
		{"pressure and cordon", node(true, cond(corev1.NodeReady, corev1.ConditionTrue), cond(corev1.NodeDiskPressure, corev1.ConditionTrue)),
			[]corev1.Taint{ns(corev1.TaintNodeDiskPressure), ns(corev1.TaintNodeUnschedulable)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, wantedTaints(tc.node)); d != "" {
				t.Errorf("taints (-want +got):\n%s", d)
			}
		})
	}
}

func TestReconcileTaints(t *testing.T) {
	user := corev1.Taint{Key: "example.com/gpu", Effect: corev1.TaintEffectNoSchedule}
	old := metav1.NewTime(t0.Add(-time.Hour))
	notReady := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute, TimeAdded: &old}
	unreach := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	got, changed := reconcileTaints([]corev1.Taint{user, notReady}, []corev1.Taint{unreach}, t0)
	now := metav1.NewTime(t0)
	want := []corev1.Taint{user, {Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: &now}}
	if d := cmp.Diff(want, got); d != "" || !changed {
		t.Errorf("changed=%v taints (-want +got):\n%s", changed, d)
	}
	if _, changed := reconcileTaints(want, []corev1.Taint{unreach}, t0.Add(time.Minute)); changed {
		t.Error("reconciling an up-to-date node changed it")
	}
}

func TestMarkUnknown(t *testing.T) {
	created, now := metav1.NewTime(t0), metav1.NewTime(t0.Add(time.Minute))
	st := corev1.NodeStatus{Conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionTrue)}}
	if !markUnknown(&st, created, now) {
		t.Fatal("no change")
	}
	ready := st.Conditions[0]
	if ready.Status != corev1.ConditionUnknown || ready.Reason != ReasonUnknown || ready.Message != MessageUnknown || !ready.LastTransitionTime.Equal(&now) {
		t.Errorf("ready = %+v", ready)
	}
	if len(st.Conditions) != 4 || st.Conditions[1].Reason != ReasonNeverUpdated {
		t.Errorf("conditions = %+v", st.Conditions)
	}
	if markUnknown(&st, created, now) {
		t.Error("second mark changed the status")
	}
}
