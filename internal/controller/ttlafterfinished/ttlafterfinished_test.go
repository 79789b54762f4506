package ttlafterfinished

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestExpiresIn(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ttl := int32(60)
	done := batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}
	job := func(ttl *int32, conds ...batchv1.JobCondition) *batchv1.Job {
		return &batchv1.Job{Spec: batchv1.JobSpec{TTLSecondsAfterFinished: ttl}, Status: batchv1.JobStatus{Conditions: conds}}
	}
	for _, tc := range []struct {
		name string
		job  *batchv1.Job
		at   time.Time
		want time.Duration
		ok   bool
	}{
		{"running", job(&ttl), t0, 0, false},
		{"no ttl", job(nil, done), t0, 0, false},
		{"waiting", job(&ttl, done), t0.Add(20 * time.Second), 40 * time.Second, true},
		{"expired", job(&ttl, done), t0.Add(2 * time.Minute), -time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d, ok := expiresIn(tc.job, tc.at); d != tc.want || ok != tc.ok {
				t.Errorf("expiresIn = %v, %v; want %v, %v", d, ok, tc.want, tc.ok)
			}
		})
	}
}
