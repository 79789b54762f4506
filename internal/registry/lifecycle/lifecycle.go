// Package lifecycle holds the deletion rules of the kinds that do not
// leave storage at once: pods terminate gracefully on their node, and
// namespaces wait until their content is gone.
package lifecycle

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// defaultGracePeriod is Kubernetes' pod terminationGracePeriodSeconds default.
const defaultGracePeriod = 30

// PodGracePeriod returns how long a pod may take to stop: the request's
// gracePeriodSeconds, else the pod's terminationGracePeriodSeconds. A pod
// that never reached a node, or has finished, goes at once.
func PodGracePeriod(obj runtime.Object, opts *metav1.DeleteOptions) int64 {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return 0
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0
	}
	grace := int64(defaultGracePeriod)
	switch {
	case opts != nil && opts.GracePeriodSeconds != nil:
		grace = *opts.GracePeriodSeconds
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	if grace < 0 {
		// Kubernetes turns a negative grace period into the shortest one.
		grace = 1
	}
	return grace
}

// NamespaceKeepOnDelete marks a namespace Terminating and keeps it while
// spec.finalizers (the namespace controller's "kubernetes") remain.
func NamespaceKeepOnDelete(obj runtime.Object) bool {
	ns, ok := obj.(*corev1.Namespace)
	if !ok {
		return false
	}
	ns.Status.Phase = corev1.NamespaceTerminating
	return len(ns.Spec.Finalizers) > 0
}
