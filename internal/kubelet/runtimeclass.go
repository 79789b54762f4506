package kubelet

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runtimeHandler is the CRI runtime handler of the pod's RuntimeClass,
// "" (the runtime's default) when it names none. Only pods naming a
// class pay a lookup, from the API server's cache, when their sandbox is
// created; a class missing by then keeps the sandbox from starting, as
// in Kubernetes.
func (k *Kubelet) runtimeHandler(ctx context.Context, pod *corev1.Pod) (string, error) {
	name := pod.Spec.RuntimeClassName
	if name == nil || *name == "" {
		return "", nil
	}
	rc, err := k.cfg.Client.NodeV1().RuntimeClasses().Get(ctx, *name, metav1.GetOptions{ResourceVersion: "0"})
	switch {
	case apierrors.IsNotFound(err):
		// Kubernetes' kubelet reads a lister, whose error names the kind.
		return "", apierrors.NewNotFound(nodev1.Resource("runtimeclass"), *name)
	case err != nil:
		return "", fmt.Errorf("failed to lookup RuntimeClass %s: %w", *name, err)
	}
	return rc.Handler, nil
}
