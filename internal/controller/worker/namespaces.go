package worker

import (
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// ActiveNamespace reads namespace name for controllers that keep an
// object in every namespace: ok is false when it is gone or terminating,
// so nothing new may be created in it.
func ActiveNamespace(lister corelisters.NamespaceLister, name string) (ns *corev1.Namespace, ok bool, err error) {
	ns, err = lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		return ns, false, nil
	}
	return ns, true, nil
}
