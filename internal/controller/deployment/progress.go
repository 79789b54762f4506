package deployment

import (
	"fmt"
	"math"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition reasons, as Kubernetes writes them.
const (
	ReasonNewRSCreated      = "NewReplicaSetCreated"
	ReasonFoundNewRS        = "FoundNewReplicaSet"
	ReasonRSUpdated         = "ReplicaSetUpdated"
	ReasonNewRSAvailable    = "NewReplicaSetAvailable"
	ReasonTimedOut          = "ProgressDeadlineExceeded"
	ReasonFailedRSCreate    = "ReplicaSetCreateError"
	ReasonPaused            = "DeploymentPaused"
	ReasonResumed           = "DeploymentResumed"
	ReasonMinAvailable      = "MinimumReplicasAvailable"
	ReasonMinUnavailable    = "MinimumReplicasUnavailable"
	ReasonScalingReplicaSet = "ScalingReplicaSet"
	ReasonAutoRollback      = "AutoRollback"
)

func newCondition(t appsv1.DeploymentConditionType, s corev1.ConditionStatus, reason, msg string, now time.Time) appsv1.DeploymentCondition {
	return appsv1.DeploymentCondition{Type: t, Status: s, Reason: reason, Message: msg,
		LastUpdateTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)}
}

func getCondition(st appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// setCondition replaces the condition of c's type unless status and
// reason are unchanged; a transition time survives an unchanged status.
func setCondition(st *appsv1.DeploymentStatus, c appsv1.DeploymentCondition) {
	cur := getCondition(*st, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(st, c.Type)
	st.Conditions = append(st.Conditions, c)
}

func removeCondition(st *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) {
	var out []appsv1.DeploymentCondition
	for _, c := range st.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	st.Conditions = out
}

func hasProgressDeadline(d *appsv1.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// calculateStatus counts the pods of all ReplicaSets and sets Available.
func calculateStatus(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, now time.Time) appsv1.DeploymentStatus {
	avail := sumStatus(all, available)
	st := appsv1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sumStatus(all, actual),
		UpdatedReplicas:     sumStatus([]*appsv1.ReplicaSet{newRS}, actual),
		ReadyReplicas:       sumStatus(all, ready),
		AvailableReplicas:   avail,
		UnavailableReplicas: max(specSum(all)-avail, 0),
		CollisionCount:      d.Status.CollisionCount,
		Conditions:          append([]appsv1.DeploymentCondition(nil), d.Status.Conditions...),
	}
	if avail >= dReplicas(d)-maxUnavailable(d) {
		setCondition(&st, newCondition(appsv1.DeploymentAvailable, corev1.ConditionTrue, ReasonMinAvailable, "Deployment has minimum availability.", now))
	} else {
		setCondition(&st, newCondition(appsv1.DeploymentAvailable, corev1.ConditionFalse, ReasonMinUnavailable, "Deployment does not have minimum availability.", now))
	}
	return st
}

// complete reports whether every replica is updated and available.
func complete(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	n := dReplicas(d)
	return st.UpdatedReplicas == n && st.Replicas == n && st.AvailableReplicas == n && st.ObservedGeneration >= d.Generation
}

// progressing reports whether st moved the rollout forward from d.Status.
func progressing(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	old := d.Status
	return st.UpdatedReplicas > old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas ||
		st.AvailableReplicas > old.AvailableReplicas
}

// timedOut reports whether the Progressing condition is older than the
// progress deadline.
func timedOut(d *appsv1.Deployment, st *appsv1.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	c := getCondition(*st, appsv1.DeploymentProgressing)
	switch {
	case c == nil || c.Reason == ReasonNewRSAvailable:
		return false
	case c.Reason == ReasonTimedOut:
		return true
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(now)
}

func progressMessage(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, what string) string {
	if newRS != nil {
		return fmt.Sprintf("ReplicaSet %q %s.", newRS.Name, what)
	}
	return fmt.Sprintf("Deployment %q %s.", d.Name, what)
}

// rolloutStatus is calculateStatus plus the Progressing and
// ReplicaFailure conditions of a rollout.
func rolloutStatus(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, now time.Time) appsv1.DeploymentStatus {
	st := calculateStatus(d, all, newRS, now)
	if !hasProgressDeadline(d) {
		removeCondition(&st, appsv1.DeploymentProgressing)
	}
	cur := getCondition(d.Status, appsv1.DeploymentProgressing)
	done := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == ReasonNewRSAvailable
	if hasProgressDeadline(d) && !done {
		switch {
		case complete(d, &st):
			setCondition(&st, newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReasonNewRSAvailable,
				progressMessage(d, newRS, "has successfully progressed"), now))
		case progressing(d, &st):
			c := newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReasonRSUpdated,
				progressMessage(d, newRS, "is progressing"), now)
			if cur != nil && cur.Status == corev1.ConditionTrue {
				c.LastTransitionTime = cur.LastTransitionTime
			}
			removeCondition(&st, appsv1.DeploymentProgressing)
			st.Conditions = append(st.Conditions, c)
		case timedOut(d, &st, now):
			setCondition(&st, newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, ReasonTimedOut,
				progressMessage(d, newRS, "has timed out progressing"), now))
		}
	}
	if f := replicaFailure(all, newRS, now); f != nil {
		setCondition(&st, *f)
	} else {
		removeCondition(&st, appsv1.DeploymentReplicaFailure)
	}
	return st
}

// replicaFailure lifts a ReplicaFailure condition of a ReplicaSet, the new
// one first.
func replicaFailure(all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, now time.Time) *appsv1.DeploymentCondition {
	ordered := append([]*appsv1.ReplicaSet{newRS}, all...)
	for _, rs := range ordered {
		if rs == nil {
			continue
		}
		for _, c := range rs.Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure {
				out := newCondition(appsv1.DeploymentReplicaFailure, c.Status, c.Reason, c.Message, now)
				out.LastTransitionTime = c.LastTransitionTime
				return &out
			}
		}
	}
	return nil
}

// stuckIn returns when the rollout's progress deadline passes, or -1 when
// there is nothing to wait for.
func stuckIn(d *appsv1.Deployment, st *appsv1.DeploymentStatus, now time.Time) time.Duration {
	c := getCondition(*st, appsv1.DeploymentProgressing)
	if !hasProgressDeadline(d) || c == nil || complete(d, st) || c.Reason == ReasonTimedOut {
		return -1
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(now)
}
