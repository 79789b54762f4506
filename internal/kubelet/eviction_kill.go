package kubelet

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// evictedReason is the pod status reason of an evicted pod.
const evictedReason = "Evicted"

// evictPod runs in the pod's worker: it kills the containers at once
// (grace 0, as for a hard threshold) and writes the status Kubernetes
// gives an evicted pod: phase Failed, reason Evicted, the message, and a
// DisruptionTarget condition.
func (k *Kubelet) evictPod(ctx context.Context, w *worker, pod *corev1.Pod, prev corev1.PodStatus, msg string) error {
	rt, err := k.runtimeState(ctx, pod.UID)
	if err != nil {
		return err
	}
	if err := k.stopRunning(ctx, rt, pod, 0); err != nil {
		return err
	}
	if rt, err = k.runtimeState(ctx, pod.UID); err != nil {
		return err
	}
	in := statusInput{pod: pod, prev: evictedStatus(prev, msg, k.cfg.Now()), waiting: w.waiting, hostIP: k.cfg.NodeIP, now: k.cfg.Now()}
	if len(rt.sandboxes) > 0 {
		sb, err := k.cfg.Runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: rt.sandboxes[0].Id})
		if err != nil {
			return fmt.Errorf("sandbox status: %w", err)
		}
		in.sandbox, in.containers = sb.Status, rt.containersIn(rt.sandboxes[0].Id)
	}
	k.syncProbes(ctx, w, nil, nil, "")
	return k.writeStatus(ctx, w, pod, computeStatus(in))
}

// evictedStatus is prev turned Failed/Evicted with msg.
func evictedStatus(prev corev1.PodStatus, msg string, now time.Time) corev1.PodStatus {
	st := *prev.DeepCopy()
	st.Phase, st.Reason, st.Message = corev1.PodFailed, evictedReason, msg
	cond := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: corev1.PodReasonTerminationByKubelet, Message: msg, LastTransitionTime: metav1.NewTime(now.UTC().Truncate(time.Second))}
	if c := findCondition(st.Conditions, corev1.DisruptionTarget); c != nil {
		*c = cond
	} else {
		st.Conditions = append(st.Conditions, cond)
	}
	return st
}
