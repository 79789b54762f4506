package framework

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// Tolerates reports whether toleration t tolerates taint: same effect (or
// any when empty), same key (or any when empty with Exists), and an equal
// value for Equal.
func Tolerates(t *corev1.Toleration, taint *corev1.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", corev1.TolerationOpEqual:
		return t.Value == taint.Value
	case corev1.TolerationOpExists:
		return true
	}
	return false
}

// TolerationsTolerate reports whether any of tolerations tolerates taint.
func TolerationsTolerate(tolerations []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range tolerations {
		if Tolerates(&tolerations[i], taint) {
			return true
		}
	}
	return false
}

// FindUntoleratedTaint returns the first taint that include selects and
// no toleration tolerates.
func FindUntoleratedTaint(taints []corev1.Taint, tolerations []corev1.Toleration, include func(*corev1.Taint) bool) (*corev1.Taint, bool) {
	for i := range taints {
		t := &taints[i]
		if include(t) && !TolerationsTolerate(tolerations, t) {
			return t, true
		}
	}
	return nil, false
}

// NodeSelectorRequirementsAsSelector converts label requirements.
func NodeSelectorRequirementsAsSelector(reqs []corev1.NodeSelectorRequirement) (labels.Selector, error) {
	sel := labels.NewSelector()
	for _, r := range reqs {
		req, err := requirement(r)
		if err != nil {
			return nil, err
		}
		sel = sel.Add(*req)
	}
	return sel, nil
}

func requirement(r corev1.NodeSelectorRequirement) (*labels.Requirement, error) {
	op, ok := map[corev1.NodeSelectorOperator]selection.Operator{
		corev1.NodeSelectorOpIn: selection.In, corev1.NodeSelectorOpNotIn: selection.NotIn,
		corev1.NodeSelectorOpExists: selection.Exists, corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
		corev1.NodeSelectorOpGt: selection.GreaterThan, corev1.NodeSelectorOpLt: selection.LessThan,
	}[r.Operator]
	if !ok {
		return nil, fmt.Errorf("unsupported node selector operator %q", r.Operator)
	}
	return labels.NewRequirement(r.Key, op, r.Values)
}

// NodeSelectorTermMatches reports whether node matches one term: all its
// label expressions and its metadata.name field expressions. A term with
// neither matches nothing.
func NodeSelectorTermMatches(node *corev1.Node, term *corev1.NodeSelectorTerm) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	if len(term.MatchExpressions) > 0 {
		sel, err := NodeSelectorRequirementsAsSelector(term.MatchExpressions)
		if err != nil || !sel.Matches(labels.Set(node.Labels)) {
			return false
		}
	}
	if len(term.MatchFields) > 0 {
		sel, err := NodeSelectorRequirementsAsSelector(term.MatchFields)
		if err != nil || !sel.Matches(labels.Set{"metadata.name": node.Name}) {
			return false
		}
	}
	return true
}

// NodeSelectorMatches reports whether node matches any term of ns.
func NodeSelectorMatches(node *corev1.Node, ns *corev1.NodeSelector) bool {
	for i := range ns.NodeSelectorTerms {
		if NodeSelectorTermMatches(node, &ns.NodeSelectorTerms[i]) {
			return true
		}
	}
	return false
}

// PodMatchesNodeSelectorAndAffinity reports whether node satisfies the
// pod's nodeSelector and required node affinity.
func PodMatchesNodeSelectorAndAffinity(pod *corev1.Pod, node *corev1.Node) bool {
	if len(pod.Spec.NodeSelector) > 0 && !labels.SelectorFromSet(pod.Spec.NodeSelector).Matches(labels.Set(node.Labels)) {
		return false
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	return NodeSelectorMatches(node, a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
}

// PodPriority returns spec.priority, 0 when unset.
func PodPriority(pod *corev1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// DefaultNormalizeScore scales scores so the largest becomes maxPriority;
// with reverse, the scale is flipped (fewest is best). All zeros become
// all maxPriority when reversed.
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores []NodeScore) *Status {
	var maxCount int64
	for _, s := range scores {
		maxCount = max(maxCount, s.Score)
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxPriority
			}
		}
		return nil
	}
	for i := range scores {
		s := maxPriority * scores[i].Score / maxCount
		if reverse {
			s = maxPriority - s
		}
		scores[i].Score = s
	}
	return nil
}
