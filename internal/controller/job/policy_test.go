package job

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func failedPod(exit int32, conds ...corev1.PodConditionType) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	p.Status.Phase = corev1.PodFailed
	p.Status.ContainerStatuses = []corev1.ContainerStatus{
		{Name: "ok", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}},
		{Name: "main", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit}}},
	}
	for _, c := range conds {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue})
	}
	return p
}

func TestMatchFailurePolicy(t *testing.T) {
	main := "main"
	policy := &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
		{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			ContainerName: &main, Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
		{Action: batchv1.PodFailurePolicyActionCount, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			Operator: batchv1.PodFailurePolicyOnExitCodesOpNotIn, Values: []int32{1}}},
	}}
	for _, tc := range []struct {
		name   string
		pod    *corev1.Pod
		action batchv1.PodFailurePolicyAction
		msg    string
	}{
		{"disruption ignored", failedPod(42, corev1.DisruptionTarget), batchv1.PodFailurePolicyActionIgnore,
			"Pod ns/p has condition DisruptionTarget matching Ignore rule at index 0"},
		{"exit 42 fails the job", failedPod(42), batchv1.PodFailurePolicyActionFailJob,
			"Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1"},
		{"exit 3 counts by NotIn", failedPod(3), batchv1.PodFailurePolicyActionCount,
			"Container main for pod ns/p failed with exit code 3 matching Count rule at index 2"},
		{"exit 1 matches nothing", failedPod(1), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			action, msg, _ := matchFailurePolicy(policy, tc.pod)
			if action != tc.action || msg != tc.msg {
				t.Errorf("got %q %q, want %q %q", action, msg, tc.action, tc.msg)
			}
		})
	}
}

func TestIndexes(t *testing.T) {
	set := parseIndexes("0,2-4,7,9-x,12", 10)
	want := map[int]bool{0: true, 2: true, 3: true, 4: true, 7: true}
	if d := cmp.Diff(want, set); d != "" {
		t.Errorf("parse (-want +got):\n%s", d)
	}
	set[1], set[8] = true, true
	if got := formatIndexes(set); got != "0-4,7-8" {
		t.Errorf("format = %q", got)
	}
}
