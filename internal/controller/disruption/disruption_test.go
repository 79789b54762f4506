package disruption

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func pod(name string, ready bool, owner types.UID) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "a"}}}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	if owner != "" {
		p.OwnerReferences = []metav1.OwnerReference{{UID: owner, Controller: new(true)}}
	}
	return p
}

// scaleOf returns each owner's replicas from the map.
func scaleOf(replicas map[types.UID]int32) ScaleFunc {
	return func(p *corev1.Pod) (types.UID, int32, bool, error) {
		ref := metav1.GetControllerOf(p)
		if ref == nil {
			return "", 0, false, nil
		}
		r, ok := replicas[ref.UID]
		return ref.UID, r, ok, nil
	}
}

func TestStatus(t *testing.T) {
	now := time.Now()
	min := func(v intstr.IntOrString) policyv1.PodDisruptionBudgetSpec {
		return policyv1.PodDisruptionBudgetSpec{MinAvailable: &v}
	}
	maxU := func(v intstr.IntOrString) policyv1.PodDisruptionBudgetSpec {
		return policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &v}
	}
	owned := []*corev1.Pod{pod("a", true, "rs"), pod("b", true, "rs"), pod("c", false, "rs")}
	bare := []*corev1.Pod{pod("a", true, ""), pod("b", true, ""), pod("c", true, ""), pod("d", false, "")}
	scale := scaleOf(map[types.UID]int32{"rs": 5})
	for _, tc := range []struct {
		name                               string
		spec                               policyv1.PodDisruptionBudgetSpec
		pods                               []*corev1.Pod
		expected, healthy, desired, allowd int32
	}{
		{"minAvailable int", min(intstr.FromInt32(1)), owned, 3, 2, 1, 1},
		{"minAvailable int too high", min(intstr.FromInt32(3)), owned, 3, 2, 3, 0},
		{"minAvailable percent of scale", min(intstr.FromString("50%")), owned, 5, 2, 3, 0},
		{"maxUnavailable int of scale", maxU(intstr.FromInt32(4)), owned, 5, 2, 1, 1},
		{"maxUnavailable percent rounds up", maxU(intstr.FromString("30%")), owned, 5, 2, 3, 0},
		{"bare pods count one each", maxU(intstr.FromString("50%")), bare, 4, 3, 2, 1},
		{"no pods", maxU(intstr.FromInt32(0)), nil, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Spec: tc.spec}
			st, err := Status(pdb, tc.pods, scale, now)
			if err != nil {
				t.Fatal(err)
			}
			if st.ExpectedPods != tc.expected || st.CurrentHealthy != tc.healthy || st.DesiredHealthy != tc.desired || st.DisruptionsAllowed != tc.allowd {
				t.Errorf("expected/healthy/desired/allowed = %d/%d/%d/%d, want %d/%d/%d/%d",
					st.ExpectedPods, st.CurrentHealthy, st.DesiredHealthy, st.DisruptionsAllowed,
					tc.expected, tc.healthy, tc.desired, tc.allowd)
			}
			if st.ObservedGeneration != 3 {
				t.Errorf("observedGeneration = %d", st.ObservedGeneration)
			}
			cond := apimeta.FindStatusCondition(st.Conditions, policyv1.DisruptionAllowedCondition)
			wantReason := policyv1.InsufficientPodsReason
			if tc.allowd > 0 {
				wantReason = policyv1.SufficientPodsReason
			}
			if cond == nil || cond.Reason != wantReason || (cond.Status == metav1.ConditionTrue) != (tc.allowd > 0) {
				t.Errorf("condition = %+v, want reason %s", cond, wantReason)
			}
		})
	}
}

func TestStatusDisruptedPods(t *testing.T) {
	now := time.Now()
	one := intstr.FromInt32(1)
	pdb := &policyv1.PodDisruptionBudget{Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one}}
	pdb.Status.DisruptedPods = map[string]metav1.Time{
		"a":   metav1.NewTime(now.Add(-time.Minute)),
		"old": metav1.NewTime(now.Add(-3 * time.Minute)),
	}
	pods := []*corev1.Pod{pod("a", true, ""), pod("b", true, "")}
	st, err := Status(pdb, pods, scaleOf(nil), now)
	if err != nil {
		t.Fatal(err)
	}
	if st.CurrentHealthy != 1 || st.DisruptionsAllowed != 0 {
		t.Errorf("healthy/allowed = %d/%d, want 1/0", st.CurrentHealthy, st.DisruptionsAllowed)
	}
	if _, ok := st.DisruptedPods["old"]; ok || len(st.DisruptedPods) != 1 {
		t.Errorf("disruptedPods = %v, want only a", st.DisruptedPods)
	}
}
