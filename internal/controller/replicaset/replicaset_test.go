package replicaset

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSlowStartBatch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		count     int
		failAfter int32 // calls that succeed before every call fails
		wantDone  int
		wantCalls int32
	}{
		{"all succeed", 10, 100, 10, 10},
		{"first fails", 10, 0, 0, 1},
		{"fails in the third batch", 10, 4, 4, 7}, // batches 1, 2, 4
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			done, err := slowStartBatch(tc.count, 1, func() error {
				if calls.Add(1) > tc.failAfter {
					return errors.New("quota")
				}
				return nil
			})
			if done != tc.wantDone || calls.Load() != tc.wantCalls || (err == nil) != (tc.wantDone == tc.count) {
				t.Errorf("done %d calls %d err %v; want done %d calls %d", done, calls.Load(), err, tc.wantDone, tc.wantCalls)
			}
		})
	}
}

func TestCalculateStatus(t *testing.T) {
	now := time.Unix(1e9, 0)
	three := int32(3)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Generation: 2},
		Spec: appsv1.ReplicaSetSpec{Replicas: &three, MinReadySeconds: 10,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a", "tier": "web"}}}},
	}
	o := Object{ReplicaSet: rs, Orig: rs}
	ready := func(name string, since time.Duration, lbls map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}, Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{
			Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-since))}}}}
	}
	full := map[string]string{"app": "a", "tier": "web"}
	pods := []*corev1.Pod{ready("old", time.Minute, full), ready("fresh", time.Second, full), ready("partial", time.Minute, map[string]string{"app": "a"})}
	st := calculateStatus(o, pods, errors.New("quota exceeded"), now)
	if st.Replicas != 3 || st.FullyLabeledReplicas != 2 || st.ReadyReplicas != 3 || st.AvailableReplicas != 2 {
		t.Errorf("status = %+v", st)
	}
	if len(st.Conditions) != 1 || st.Conditions[0].Type != appsv1.ReplicaSetReplicaFailure || st.Conditions[0].Reason != "FailedCreate" {
		t.Errorf("conditions = %+v", st.Conditions)
	}
	rs.Status = st
	if st := calculateStatus(o, pods, nil, now); len(st.Conditions) != 0 {
		t.Errorf("ReplicaFailure not cleared: %+v", st.Conditions)
	}
	if d := nextAvailable(o, pods, now); d <= 8*time.Second || d > 10*time.Second {
		t.Errorf("next availability in %v, want about 9s", d)
	}
}
