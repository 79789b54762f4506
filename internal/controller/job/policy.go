package job

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// matchFailurePolicy returns the action of the first rule of policy that
// matches the failed pod, and a message saying why; ok is false when no
// rule matches (the failure counts).
func matchFailurePolicy(policy *batchv1.PodFailurePolicy, pod *corev1.Pod) (action batchv1.PodFailurePolicyAction, msg string, ok bool) {
	if policy == nil {
		return "", "", false
	}
	for i, r := range policy.Rules {
		if req := r.OnExitCodes; req != nil {
			if cs := matchExitCodes(req, pod); cs != nil {
				return r.Action, fmt.Sprintf("Container %s for pod %s/%s failed with exit code %d matching %s rule at index %d",
					cs.Name, pod.Namespace, pod.Name, cs.State.Terminated.ExitCode, r.Action, i), true
			}
		}
		for _, pat := range r.OnPodConditions {
			for _, c := range pod.Status.Conditions {
				if c.Type == pat.Type && c.Status == pat.Status {
					return r.Action, fmt.Sprintf("Pod %s/%s has condition %s matching %s rule at index %d",
						pod.Namespace, pod.Name, c.Type, r.Action, i), true
				}
			}
		}
	}
	return "", "", false
}

// matchExitCodes returns the first terminated container (init containers
// first) with a non-zero exit code that req matches.
func matchExitCodes(req *batchv1.PodFailurePolicyOnExitCodesRequirement, pod *corev1.Pod) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for i := range list {
			cs := &list[i]
			t := cs.State.Terminated
			if t == nil || t.ExitCode == 0 || (req.ContainerName != nil && *req.ContainerName != cs.Name) {
				continue
			}
			in := slices.Contains(req.Values, t.ExitCode)
			if in == (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) {
				return cs
			}
		}
	}
	return nil
}
