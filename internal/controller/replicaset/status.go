package replicaset

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// calculateStatus counts pods and sets or clears the ReplicaFailure
// condition from the error of the last create or delete.
func calculateStatus(o Object, pods []*corev1.Pod, manageErr error, now time.Time) appsv1.ReplicaSetStatus {
	st := *o.Status.DeepCopy()
	tmpl := labels.Set(o.Spec.Template.Labels).AsSelectorPreValidated()
	st.Replicas = int32(len(pods))
	st.FullyLabeledReplicas, st.ReadyReplicas, st.AvailableReplicas = 0, 0, 0
	for _, p := range pods {
		if tmpl.Matches(labels.Set(p.Labels)) {
			st.FullyLabeledReplicas++
		}
		if podutil.IsPodReady(p) {
			st.ReadyReplicas++
			if podutil.IsPodAvailable(p, o.Spec.MinReadySeconds, now) {
				st.AvailableReplicas++
			}
		}
	}
	failure := conditionIndex(st.Conditions, appsv1.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure < 0:
		reason := "FailedCreate"
		if len(pods) > int(replicas(o)) {
			reason = "FailedDelete"
		}
		st.Conditions = append(st.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(now), Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && failure >= 0:
		st.Conditions = append(st.Conditions[:failure], st.Conditions[failure+1:]...)
	}
	return st
}

func conditionIndex(cs []appsv1.ReplicaSetCondition, t appsv1.ReplicaSetConditionType) int {
	for i, c := range cs {
		if c.Type == t {
			return i
		}
	}
	return -1
}

// updateStatus writes st with observedGeneration unless nothing changed;
// on a conflict it rereads the owner and tries once more.
func (c *Controller) updateStatus(ctx context.Context, o Object, st appsv1.ReplicaSetStatus) (Object, error) {
	st.ObservedGeneration = o.Generation
	if apiequality.Semantic.DeepEqual(st, o.Status) {
		return o, nil
	}
	out, err := c.kind.UpdateStatus(ctx, o, st)
	if err == nil {
		return out, nil
	}
	fresh, gerr := c.kind.GetLive(ctx, o.Namespace, o.Name)
	if gerr != nil {
		return o, err
	}
	st.ObservedGeneration = fresh.Generation
	return c.kind.UpdateStatus(ctx, fresh, st)
}

// nextAvailable returns when the next ready pod becomes available, 0 if
// none is waiting for minReadySeconds.
func nextAvailable(o Object, pods []*corev1.Pod, now time.Time) time.Duration {
	var next time.Duration
	for _, p := range pods {
		if d := podutil.AvailableIn(p, o.Spec.MinReadySeconds, now); d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if next > 0 {
		next += 100 * time.Millisecond
	}
	return next
}
