package networking

import (
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry/resttest"
)

func ingressClass(mut func(*networkingv1.IngressClass)) *networkingv1.IngressClass {
	c := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", ResourceVersion: "1", Generation: 1},
		Spec: networkingv1.IngressClassSpec{
			Controller: "example.com/ingress-controller",
			Parameters: &networkingv1.IngressClassParametersReference{APIGroup: new("example.com"), Kind: "Params", Name: "p"},
		},
	}
	if mut != nil {
		mut(c)
	}
	return c
}

func TestIngressClassDefault(t *testing.T) {
	c := ingressClass(nil)
	strats["ingressclasses"].Default(c)
	if s := c.Spec.Parameters.Scope; s == nil || *s != networkingv1.IngressClassParametersReferenceScopeCluster {
		t.Errorf("scope %v", s)
	}
}

func TestIngressClassValidate(t *testing.T) {
	ns := networkingv1.IngressClassParametersReferenceScopeNamespace
	runValidate(t, "ingressclasses", ingressClass, []validateCase[*networkingv1.IngressClass]{
		{"valid", nil, nil},
		{"no controller", func(c *networkingv1.IngressClass) { c.Spec.Controller = "" }, []string{"spec.controller"}},
		{"no domain", func(c *networkingv1.IngressClass) { c.Spec.Controller = "nginx" }, []string{"spec.controller"}},
		{"long controller", func(c *networkingv1.IngressClass) { c.Spec.Controller = "example.com/" + strings.Repeat("a", 250) }, []string{"spec.controller"}},
		{"namespace in cluster scope", func(c *networkingv1.IngressClass) { c.Spec.Parameters.Namespace = new("ns") }, []string{"spec.parameters.namespace"}},
		{"namespace scope without namespace", func(c *networkingv1.IngressClass) { c.Spec.Parameters.Scope = &ns }, []string{"spec.parameters.namespace"}},
		{"no parameters kind", func(c *networkingv1.IngressClass) { c.Spec.Parameters.Kind = "" }, []string{"spec.parameters.kind"}},
	})
}

func TestIngressClassUpdate(t *testing.T) {
	st := strats["ingressclasses"]
	next := ingressClass(func(c *networkingv1.IngressClass) { c.Spec.Controller = "example.com/other" })
	st.Default(next)
	old := ingressClass(nil)
	st.Default(old)
	if got := resttest.Paths(st.ValidateUpdate(next, old)); !slices.Equal(got, []string{"spec.controller"}) {
		t.Errorf("got %v", got)
	}
	st.PrepareForUpdate(next, old)
	if next.Generation != 2 {
		t.Errorf("generation %d", next.Generation)
	}
}
