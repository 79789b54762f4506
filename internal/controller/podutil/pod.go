package podutil

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// DeletionCostAnnotation ranks pods of a ReplicaSet for deletion: lower
// cost goes first (Kubernetes' controller.kubernetes.io/pod-deletion-cost).
const DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// ReadyCondition returns the pod's Ready condition, or nil.
func ReadyCondition(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// IsPodReady reports whether the pod's Ready condition is True.
func IsPodReady(pod *corev1.Pod) bool {
	c := ReadyCondition(pod)
	return c != nil && c.Status == corev1.ConditionTrue
}

// IsPodAvailable reports whether the pod has been ready for at least
// minReadySeconds at now.
func IsPodAvailable(pod *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	c := ReadyCondition(pod)
	if c == nil || c.Status != corev1.ConditionTrue {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	min := time.Duration(minReadySeconds) * time.Second
	return !c.LastTransitionTime.IsZero() && !c.LastTransitionTime.Add(min).After(now)
}

// AvailableIn returns how long until a ready pod becomes available, or 0
// when it is available or not ready (nothing to wait for).
func AvailableIn(pod *corev1.Pod, minReadySeconds int32, now time.Time) time.Duration {
	c := ReadyCondition(pod)
	if minReadySeconds == 0 || c == nil || c.Status != corev1.ConditionTrue || c.LastTransitionTime.IsZero() {
		return 0
	}
	d := c.LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second).Sub(now)
	return max(d, 0)
}

// IsPodActive reports whether the pod counts towards a controller's
// replicas: not finished and not being deleted.
func IsPodActive(pod *corev1.Pod) bool {
	return pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed &&
		pod.DeletionTimestamp == nil
}

// FilterActivePods keeps the active pods.
func FilterActivePods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if IsPodActive(p) {
			out = append(out, p)
		}
	}
	return out
}

// ActivePods orders pods so that the ones a controller should delete
// first come first, as Kubernetes' controller.ActivePods does:
// unassigned before assigned; Pending before Unknown before Running;
// not ready before ready; lower deletion cost first; ready for less time
// first; more container restarts first; newer before older.
type ActivePods []*corev1.Pod

func (s ActivePods) Len() int      { return len(s) }
func (s ActivePods) Swap(i, j int) { s[i], s[j] = s[j], s[i] }

func (s ActivePods) Less(i, j int) bool {
	a, b := s[i], s[j]
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if pa, pb := phaseOrdinal(a.Status.Phase), phaseOrdinal(b.Status.Phase); pa != pb {
		return pa < pb
	}
	ra, rb := IsPodReady(a), IsPodReady(b)
	if ra != rb {
		return !ra
	}
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	if ra && rb {
		ta, tb := readySince(a), readySince(b)
		if !ta.Equal(tb) {
			return afterOrZero(ta, tb)
		}
	}
	if na, nb := maxRestarts(a), maxRestarts(b); na != nb {
		return na > nb
	}
	return afterOrZero(a.CreationTimestamp.Time, b.CreationTimestamp.Time)
}

func phaseOrdinal(p corev1.PodPhase) int {
	switch p {
	case corev1.PodPending:
		return 0
	case corev1.PodUnknown:
		return 1
	case corev1.PodRunning:
		return 2
	}
	return 3
}

func deletionCost(pod *corev1.Pod) int64 {
	v, err := strconv.ParseInt(pod.Annotations[DeletionCostAnnotation], 10, 32)
	if err != nil {
		return 0
	}
	return v
}

func readySince(pod *corev1.Pod) time.Time {
	if c := ReadyCondition(pod); c != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

// afterOrZero orders a zero time first, then later times first.
func afterOrZero(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && !b.IsZero()
	}
	return a.After(b)
}

func maxRestarts(pod *corev1.Pod) int32 {
	var n int32
	for _, c := range pod.Status.ContainerStatuses {
		n = max(n, c.RestartCount)
	}
	return n
}
