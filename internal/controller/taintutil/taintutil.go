// Package taintutil holds what controllers share about node taints.
package taintutil

import (
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
)

// Tolerates reports whether one of tols tolerates taint (key, value and
// effect as Kubernetes matches them; no numeric comparison operators).
func Tolerates(tols []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range tols {
		if tols[i].ToleratesTaint(logr.Discard(), taint, false) {
			return true
		}
	}
	return false
}
