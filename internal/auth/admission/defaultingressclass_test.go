package admission

import (
	"context"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

func TestDefaultIngressClass(t *testing.T) {
	class := func(name string, age time.Duration, def bool) networkingv1.IngressClass {
		c := networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(time.Unix(1e9, 0).Add(-age))}}
		if def {
			c.Annotations = map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}
		}
		return c
	}
	admit := func(classes []networkingv1.IngressClass, ing *networkingv1.Ingress) *string {
		t.Helper()
		p := DefaultIngressClass{List: func(context.Context) ([]networkingv1.IngressClass, error) { return classes, nil }}
		a := &generic.Attributes{Operation: generic.Create, Resource: registry.Resource{GroupVersionResource: networkingv1.SchemeGroupVersion.WithResource("ingresses")}, Object: ing}
		if err := p.Admit(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		return ing.Spec.IngressClassName
	}
	classes := []networkingv1.IngressClass{class("old-default", time.Hour, true), class("new-default", time.Minute, true), class("plain", 0, false)}
	if got := admit(classes, &networkingv1.Ingress{}); got == nil || *got != "new-default" {
		t.Errorf("class %v, want the newest default new-default", got)
	}
	mine := "plain"
	if got := admit(classes, &networkingv1.Ingress{Spec: networkingv1.IngressSpec{IngressClassName: &mine}}); *got != "plain" {
		t.Errorf("a chosen class was replaced by %s", *got)
	}
	legacy := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{legacyIngressClassAnnotation: "other"}}}
	if got := admit(classes, legacy); got != nil {
		t.Errorf("an Ingress with the legacy class annotation got class %s", *got)
	}
	if got := admit([]networkingv1.IngressClass{class("plain", 0, false)}, &networkingv1.Ingress{}); got != nil {
		t.Errorf("no default class, yet got %s", *got)
	}
}
