package tainteviction

import (
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/controller/taintutil"
)

// evictAfter returns how long after since a pod with tols must leave a
// node with the NoExecute taints: 0 if one is not tolerated, the smallest
// bounded tolerationSeconds among the tolerations used otherwise, and
// forever=false when none is bounded.
func evictAfter(tols []corev1.Toleration, taints []corev1.Taint) (d time.Duration, bounded bool) {
	for i := range taints {
		if !taintutil.Tolerates(tols, &taints[i]) {
			return 0, true
		}
	}
	for _, t := range tols {
		if t.TolerationSeconds == nil || !usedBy(t, taints) {
			continue
		}
		s := time.Duration(max(*t.TolerationSeconds, 0)) * time.Second
		if !bounded || s < d {
			d, bounded = s, true
		}
	}
	return d, bounded
}

func usedBy(t corev1.Toleration, taints []corev1.Taint) bool {
	for i := range taints {
		if t.ToleratesTaint(logr.Discard(), &taints[i], false) {
			return true
		}
	}
	return false
}

// noExecute returns the NoExecute taints of node.
func noExecute(node *corev1.Node) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range node.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}
