package scheduler

import (
	"context"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// updatePodStatus sets PodScheduled=False with reason and message, and
// the nominated node when preemption chose one, patching pods/status only
// if something changed.
func (s *Scheduler) updatePodStatus(ctx context.Context, pod *corev1.Pod, reason, msg string, nomination *framework.PostFilterResult) error {
	updated := pod.DeepCopy()
	changed := setCondition(&updated.Status, corev1.PodCondition{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: reason, Message: msg,
	}, metav1.NewTime(s.cfg.Clock.Now()))
	if nomination != nil && updated.Status.NominatedNodeName != nomination.NominatedNodeName {
		updated.Status.NominatedNodeName = nomination.NominatedNodeName
		changed = true
	}
	if !changed {
		return nil
	}
	return patchPodStatus(ctx, s.cfg.Client.CoreV1().Pods(pod.Namespace), pod, updated)
}

// setCondition sets c in status, keeping lastTransitionTime when the
// status does not change; it reports whether anything changed.
func setCondition(status *corev1.PodStatus, c corev1.PodCondition, now metav1.Time) bool {
	c.LastProbeTime = metav1.Time{}
	for i := range status.Conditions {
		old := &status.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return false
		}
		c.LastTransitionTime = old.LastTransitionTime
		if old.Status != c.Status {
			c.LastTransitionTime = now
		}
		*old = c
		return true
	}
	c.LastTransitionTime = now
	status.Conditions = append(status.Conditions, c)
	return true
}

type podPatcher interface {
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (*corev1.Pod, error)
}

// patchPodStatus sends the strategic merge patch from old to updated's
// status.
func patchPodStatus(ctx context.Context, pods podPatcher, old, updated *corev1.Pod) error {
	oldJSON, err := json.Marshal(corev1.Pod{Status: old.Status})
	if err != nil {
		return err
	}
	newJSON, err := json.Marshal(corev1.Pod{Status: updated.Status})
	if err != nil {
		return err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldJSON, newJSON, corev1.Pod{})
	if err != nil {
		return err
	}
	_, err = pods.Patch(ctx, old.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}
