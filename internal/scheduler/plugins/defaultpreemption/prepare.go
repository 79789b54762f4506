package defaultpreemption

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// prepare deletes the victims, each with a DisruptionTarget condition and
// a Preempted event, and clears the nominations of lower-priority pods to
// the node, which may no longer fit there.
func (p *Plugin) prepare(ctx context.Context, c candidate, pod *corev1.Pod) error {
	errs := make(chan error, len(c.victims))
	p.h.Parallelizer().Until(ctx, len(c.victims), func(i int) {
		if err := p.preempt(ctx, c.victims[i].Pod, pod, c.node); err != nil {
			errs <- err
		}
	})
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	prio := framework.PodPriority(pod)
	for _, pi := range p.h.NominatedPodsForNode(c.node) {
		if framework.PodPriority(pi.Pod) >= prio || pi.Pod.UID == pod.UID {
			continue
		}
		patch := []byte(`{"status":{"nominatedNodeName":null}}`)
		_, err := p.h.ClientSet().CoreV1().Pods(pi.Pod.Namespace).Patch(ctx, pi.Pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("clear nominated node of pod %s/%s: %w", pi.Pod.Namespace, pi.Pod.Name, err)
		}
	}
	return nil
}

func (p *Plugin) preempt(ctx context.Context, victim, preemptor *corev1.Pod, node string) error {
	pods := p.h.ClientSet().CoreV1().Pods(victim.Namespace)
	cond := map[string]any{"status": map[string]any{"conditions": []corev1.PodCondition{{
		Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: corev1.PodReasonPreemptionByScheduler,
		Message:            fmt.Sprintf("%s: preempting to accommodate a higher priority pod", preemptor.Spec.SchedulerName),
		LastTransitionTime: metav1.Now(),
	}}}}
	patch, err := json.Marshal(cond)
	if err != nil {
		return err
	}
	if _, err := pods.Patch(ctx, victim.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("mark victim %s/%s: %w", victim.Namespace, victim.Name, err)
	}
	err = pods.Delete(ctx, victim.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &victim.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete victim %s/%s: %w", victim.Namespace, victim.Name, err)
	}
	p.h.EventRecorder().Eventf(victim, corev1.EventTypeNormal, ReasonPreempted, "Preempted by pod %v on node %v", preemptor.UID, node)
	return nil
}
