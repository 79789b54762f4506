package ingress

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
)

const (
	// ClassName is the IngressClass served by the Router.
	ClassName = "skiff"
	// ControllerName is the spec.controller of the skiff IngressClass.
	ControllerName = "skiff.dev/ingress"

	annotationDefaultClass = "ingressclass.kubernetes.io/is-default-class"
	annotationLegacyClass  = "kubernetes.io/ingress.class"
)

// ensureClass creates the skiff IngressClass, marked default, when it is
// absent. An existing class is left alone so users may edit it.
func ensureClass(ctx context.Context, c kubernetes.Interface) error {
	ic := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        ClassName,
			Annotations: map[string]string{annotationDefaultClass: "true"},
		},
		Spec: networkingv1.IngressClassSpec{Controller: ControllerName},
	}
	_, err := c.NetworkingV1().IngressClasses().Create(ctx, ic, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create ingressclass %s: %w", ClassName, err)
	}
	return nil
}

// isDefaultClass reports whether the skiff IngressClass exists, belongs to
// skiff and is annotated as the cluster default.
func isDefaultClass(l networkinglisters.IngressClassLister) bool {
	ic, err := l.Get(ClassName)
	return err == nil && ic.Spec.Controller == ControllerName && ic.Annotations[annotationDefaultClass] == "true"
}

// served reports whether ing belongs to the skiff class: named by
// spec.ingressClassName or the legacy annotation, or naming no class while
// skiff is the default.
func served(ing *networkingv1.Ingress, skiffIsDefault bool) bool {
	if ing.Spec.IngressClassName != nil {
		return *ing.Spec.IngressClassName == ClassName
	}
	if legacy, ok := ing.Annotations[annotationLegacyClass]; ok {
		return legacy == ClassName
	}
	return skiffIsDefault
}
