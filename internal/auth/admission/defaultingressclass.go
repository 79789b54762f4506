package admission

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// legacyIngressClassAnnotation predates spec.ingressClassName; an Ingress
// carrying it has chosen its class.
const legacyIngressClassAnnotation = "kubernetes.io/ingress.class"

// IngressClassLister lists every IngressClass.
type IngressClassLister func(ctx context.Context) ([]networkingv1.IngressClass, error)

// DefaultIngressClass does what Kubernetes' plugin of the same name does:
// a new Ingress that names no class gets the default IngressClass (the
// one annotated ingressclass.kubernetes.io/is-default-class: "true"; the
// newest when there are several).
type DefaultIngressClass struct {
	List IngressClassLister
}

// Admit implements generic.Admission.
func (d DefaultIngressClass) Admit(ctx context.Context, a *generic.Attributes) error {
	if a.Operation != generic.Create || a.Subresource != "" || a.Resource.Group != networkingv1.GroupName || a.Resource.Resource != "ingresses" {
		return nil
	}
	ing, ok := a.Object.(*networkingv1.Ingress)
	if !ok || ing.Spec.IngressClassName != nil || ing.Annotations[legacyIngressClassAnnotation] != "" {
		return nil
	}
	classes, err := d.List(ctx)
	if err != nil {
		return err
	}
	var def *networkingv1.IngressClass
	for i := range classes {
		c := &classes[i]
		if c.Annotations[networkingv1.AnnotationIsDefaultIngressClass] != "true" {
			continue
		}
		if def == nil || def.CreationTimestamp.Before(&c.CreationTimestamp) {
			def = c
		}
	}
	if def != nil {
		name := def.Name
		ing.Spec.IngressClassName = &name
	}
	return nil
}
