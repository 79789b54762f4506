package deployment

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func rollingDeployment(replicas int32, surge, unavailable intstr.IntOrString) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}},
			ProgressDeadlineSeconds: new(int32(60)),
		},
	}
}

func makeRS(name string, replicas, avail int32, rev string, age time.Duration) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{RevisionAnnotation: rev},
			CreationTimestamp: metav1.NewTime(time.Unix(1e9, 0).Add(-age))},
		Spec:   appsv1.ReplicaSetSpec{Replicas: &replicas},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: avail, AvailableReplicas: avail},
	}
}

func TestFenceposts(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		replicas               int32
		surge, unavail         intstr.IntOrString
		wantSurge, wantUnavail int32
	}{
		{"defaults of 25% on 10", 10, intstr.FromString("25%"), intstr.FromString("25%"), 3, 2},
		{"25% on 1", 1, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
		{"both zero makes one unavailable", 3, intstr.FromInt32(0), intstr.FromInt32(0), 0, 1},
		{"unavailable capped at replicas", 2, intstr.FromInt32(1), intstr.FromInt32(5), 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := rollingDeployment(tc.replicas, tc.surge, tc.unavail)
			if s, u := maxSurge(d), maxUnavailable(d); s != tc.wantSurge || u != tc.wantUnavail {
				t.Errorf("surge, unavailable = %d, %d; want %d, %d", s, u, tc.wantSurge, tc.wantUnavail)
			}
		})
	}
}

func TestNewRSReplicas(t *testing.T) {
	d := rollingDeployment(4, intstr.FromInt32(1), intstr.FromInt32(0))
	old := makeRS("old", 4, 4, "1", time.Hour)
	newRS := makeRS("new", 0, 0, "2", 0)
	if got := newRSReplicas(d, []*appsv1.ReplicaSet{old, newRS}, newRS); got != 1 {
		t.Errorf("first step: new RS may grow to %d, want 1 (maxSurge 1)", got)
	}
	old.Spec.Replicas = new(int32(2))
	newRS.Spec.Replicas = new(int32(2))
	if got := newRSReplicas(d, []*appsv1.ReplicaSet{old, newRS}, newRS); got != 3 {
		t.Errorf("mid rollout: %d, want 3", got)
	}
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	if got := newRSReplicas(d, []*appsv1.ReplicaSet{old, newRS}, newRS); got != 4 {
		t.Errorf("recreate: %d, want 4", got)
	}
}

func TestComputeHash(t *testing.T) {
	a := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a"}}}}
	b := *a.DeepCopy()
	b.Spec.Containers[0].Image = "b"
	if computeHash(&a, nil) != computeHash(a.DeepCopy(), nil) {
		t.Error("hash is not stable")
	}
	if computeHash(&a, nil) == computeHash(&b, nil) {
		t.Error("different templates hash alike")
	}
	if computeHash(&a, nil) == computeHash(&a, new(int32(1))) {
		t.Error("collision count does not change the hash")
	}
	withHash := *a.DeepCopy()
	withHash.Labels = map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: computeHash(&a, nil)}
	if !equalIgnoreHash(&a, &withHash) || equalIgnoreHash(&a, &b) {
		t.Error("equalIgnoreHash")
	}
}

func TestProportionalScaling(t *testing.T) {
	// 10 replicas mid-rollout (6 old, 5 new with surge 3) scaled to 20.
	d := rollingDeployment(20, intstr.FromInt32(3), intstr.FromInt32(2))
	d.Status.Replicas = 11
	old := makeRS("old", 6, 6, "1", time.Hour)
	newRS := makeRS("new", 5, 0, "2", 0)
	for _, rs := range []*appsv1.ReplicaSet{old, newRS} {
		setReplicasAnnotations(rs, 10, 13)
	}
	got := proportionalSizes(d, []*appsv1.ReplicaSet{old, newRS})
	want := map[string]int32{"old": 14, "new": 9} // 23 = 20 + maxSurge; leftovers go to the largest
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sizes (-want +got):\n%s", diff)
	}
}

func TestRolloutStatusConditions(t *testing.T) {
	now := time.Unix(2e9, 0)
	d := rollingDeployment(2, intstr.FromInt32(1), intstr.FromInt32(0))
	newRS := makeRS("web-abc", 1, 0, "2", 0)
	old := makeRS("web-old", 2, 2, "1", time.Hour)
	d.Status.Conditions = []appsv1.DeploymentCondition{newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReasonNewRSCreated, "", now.Add(-2*time.Minute))}
	d.Status.UpdatedReplicas, d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 1, 3, 2, 2
	st := rolloutStatus(d, []*appsv1.ReplicaSet{old, newRS}, newRS, now)
	c := getCondition(st, appsv1.DeploymentProgressing)
	if c.Reason != ReasonTimedOut || c.Message != `ReplicaSet "web-abc" has timed out progressing.` || c.Status != corev1.ConditionFalse {
		t.Errorf("progressing = %+v, want timed out", c)
	}
	if a := getCondition(st, appsv1.DeploymentAvailable); a.Reason != ReasonMinAvailable {
		t.Errorf("available = %+v", a)
	}
	// The new RS fully available completes the rollout.
	newRS = makeRS("web-abc", 2, 2, "2", 0)
	st = rolloutStatus(d, []*appsv1.ReplicaSet{makeRS("web-old", 0, 0, "1", time.Hour), newRS}, newRS, now)
	if c := getCondition(st, appsv1.DeploymentProgressing); c.Reason != ReasonNewRSAvailable {
		t.Errorf("progressing = %+v, want complete", c)
	}
}

func TestRollbackTarget(t *testing.T) {
	r1 := makeRS("r1", 0, 0, "1", 3*time.Hour)
	r2 := makeRS("r2", 0, 0, "2", 2*time.Hour)
	r3 := makeRS("r3", 1, 0, "3", time.Hour)
	r1.Annotations[AvailableAnnotation] = "true"
	all := []*appsv1.ReplicaSet{r1, r2, r3}
	if got := rollbackTarget(all, r3); got != r1 {
		t.Errorf("target = %v, want r1 (r2 was never available)", got)
	}
	r2.Annotations[AvailableAnnotation] = "true"
	if got := rollbackTarget(all, r3); got != r2 {
		t.Errorf("target = %v, want r2", got)
	}
	if got := rollbackTarget(all, r1); got != nil {
		t.Errorf("target for the oldest = %v, want none", got)
	}
}
