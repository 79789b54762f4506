package nodelifecycle

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// managed lists every taint this controller owns, by key and effect.
var managed = []corev1.Taint{
	{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeMemoryPressure, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeDiskPressure, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeNetworkUnavailable, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule},
}

// conditionTaints maps a node condition and status to the key of the
// taints it brings (Kubernetes' nodeConditionToTaintKeyStatusMap).
var conditionTaints = map[corev1.NodeConditionType]map[corev1.ConditionStatus]string{
	corev1.NodeReady: {
		corev1.ConditionFalse:   corev1.TaintNodeNotReady,
		corev1.ConditionUnknown: corev1.TaintNodeUnreachable,
	},
	corev1.NodeMemoryPressure:     {corev1.ConditionTrue: corev1.TaintNodeMemoryPressure},
	corev1.NodeDiskPressure:       {corev1.ConditionTrue: corev1.TaintNodeDiskPressure},
	corev1.NodePIDPressure:        {corev1.ConditionTrue: corev1.TaintNodePIDPressure},
	corev1.NodeNetworkUnavailable: {corev1.ConditionTrue: corev1.TaintNodeNetworkUnavailable},
}

// isManaged reports whether t is one of this controller's taints.
func isManaged(t corev1.Taint) bool {
	return slices.ContainsFunc(managed, func(m corev1.Taint) bool { return m.MatchTaint(&t) })
}

// wantedTaints returns the managed taints node should carry now: the
// NoSchedule taint of every condition that has one, plus NoExecute for
// the Ready condition.
func wantedTaints(node *corev1.Node) []corev1.Taint {
	var out []corev1.Taint
	for _, c := range node.Status.Conditions {
		key := conditionTaints[c.Type][c.Status]
		if key == "" {
			continue
		}
		out = append(out, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
		if c.Type == corev1.NodeReady {
			out = append(out, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoExecute})
		}
	}
	if node.Spec.Unschedulable {
		out = append(out, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	return out
}

// reconcileTaints returns node's taints with the managed ones made to
// match want, and whether anything changed. Taints kept keep their
// timeAdded; new NoExecute taints get now.
func reconcileTaints(have, want []corev1.Taint, now time.Time) ([]corev1.Taint, bool) {
	var out []corev1.Taint
	changed := false
	for _, t := range have {
		keep := !isManaged(t) || slices.ContainsFunc(want, func(w corev1.Taint) bool { return w.MatchTaint(&t) })
		if keep {
			out = append(out, t)
		} else {
			changed = true
		}
	}
	for _, w := range want {
		if slices.ContainsFunc(have, func(t corev1.Taint) bool { return t.MatchTaint(&w) }) {
			continue
		}
		if w.Effect == corev1.TaintEffectNoExecute {
			at := metav1.NewTime(now)
			w.TimeAdded = &at
		}
		out = append(out, w)
		changed = true
	}
	return out, changed
}

// Reasons and messages of the conditions set on a silent node, as
// Kubernetes writes them.
const (
	ReasonUnknown       = "NodeStatusUnknown"
	MessageUnknown      = "Kubelet stopped posting node status."
	ReasonNeverUpdated  = "NodeStatusNeverUpdated"
	MessageNeverUpdated = "Kubelet never posted node status."
)

// unknownConditions are the conditions a silent node has set to Unknown.
var unknownConditions = []corev1.NodeConditionType{
	corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure,
}

// markUnknown sets the conditions of a node whose kubelet went silent to
// Unknown; it reports whether any changed.
func markUnknown(status *corev1.NodeStatus, created, now metav1.Time) bool {
	changed := false
	for _, typ := range unknownConditions {
		i := slices.IndexFunc(status.Conditions, func(c corev1.NodeCondition) bool { return c.Type == typ })
		if i < 0 {
			status.Conditions = append(status.Conditions, corev1.NodeCondition{
				Type: typ, Status: corev1.ConditionUnknown, Reason: ReasonNeverUpdated, Message: MessageNeverUpdated,
				LastHeartbeatTime: created, LastTransitionTime: now,
			})
			changed = true
			continue
		}
		c := &status.Conditions[i]
		if c.Status == corev1.ConditionUnknown {
			continue
		}
		c.Status, c.Reason, c.Message, c.LastTransitionTime = corev1.ConditionUnknown, ReasonUnknown, MessageUnknown, now
		changed = true
	}
	return changed
}
