package admission

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// DefaultTolerationSeconds gives every new pod that does not already
// tolerate them NoExecute tolerations for the node.kubernetes.io/not-ready
// and node.kubernetes.io/unreachable taints, bounded to Seconds, as
// Kubernetes' plugin of the same name: a pod stays that long on a node
// that has failed before the taint eviction controller deletes it.
type DefaultTolerationSeconds struct {
	// Seconds is the tolerationSeconds of the added tolerations
	// (Kubernetes' default is 300).
	Seconds int64
}

// Admit implements generic.Admission.
func (d DefaultTolerationSeconds) Admit(_ context.Context, a *generic.Attributes) error {
	if a.Operation != generic.Create || a.Subresource != "" ||
		a.Resource.Group != "" || a.Resource.Resource != "pods" {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		if !toleratesNoExecute(pod.Spec.Tolerations, key) {
			seconds := d.Seconds
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists,
				Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds,
			})
		}
	}
	return nil
}

// toleratesNoExecute reports whether a toleration already covers the
// NoExecute taint key: same key or any key, NoExecute or any effect.
func toleratesNoExecute(tols []corev1.Toleration, key string) bool {
	for _, t := range tols {
		if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
			return true
		}
	}
	return false
}
