package networking

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/resttest"
)

func ingress(mut func(*networkingv1.Ingress)) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "i", Namespace: "ns", ResourceVersion: "1", Generation: 1},
		Spec: networkingv1.IngressSpec{
			IngressClassName: new("nginx"),
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{"*.example.com"}, SecretName: "tls"}},
			Rules: []networkingv1.IngressRule{{Host: "*.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/api", PathType: &prefix,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: "api", Port: networkingv1.ServiceBackendPort{Number: 80},
					}},
				}}},
			}}},
		},
	}
	if mut != nil {
		mut(ing)
	}
	return ing
}

func firstPath(ing *networkingv1.Ingress) *networkingv1.HTTPIngressPath {
	return &ing.Spec.Rules[0].HTTP.Paths[0]
}

func TestIngressValidate(t *testing.T) {
	exact, other := networkingv1.PathTypeExact, networkingv1.PathType("Regex")
	runValidate(t, "ingresses", ingress, []validateCase[*networkingv1.Ingress]{
		{"valid", nil, nil},
		{"default backend only", func(i *networkingv1.Ingress) {
			i.Spec.DefaultBackend = &firstPath(i).Backend
			i.Spec.Rules = nil
		}, nil},
		{"no rules or backend", func(i *networkingv1.Ingress) { i.Spec.Rules = nil }, []string{"spec"}},
		{"relative path", func(i *networkingv1.Ingress) { firstPath(i).Path = "api" }, []string{"spec.rules[0].http.paths[0].path"}},
		{"dot segment", func(i *networkingv1.Ingress) { firstPath(i).PathType = &exact; firstPath(i).Path = "/a/../b" }, []string{"spec.rules[0].http.paths[0].path"}},
		{"no path type", func(i *networkingv1.Ingress) { firstPath(i).PathType = nil }, []string{"spec.rules[0].http.paths[0].pathType"}},
		{"bad path type", func(i *networkingv1.Ingress) { firstPath(i).PathType = &other }, []string{"spec.rules[0].http.paths[0].pathType"}},
		{"no paths", func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths = nil }, []string{"spec.rules[0].http.paths"}},
		{"two backends", func(i *networkingv1.Ingress) {
			firstPath(i).Backend.Resource = &corev1.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}
		}, []string{"spec.rules[0].http.paths[0].backend"}},
		{"no backend", func(i *networkingv1.Ingress) { firstPath(i).Backend = networkingv1.IngressBackend{} }, []string{"spec.rules[0].http.paths[0].backend"}},
		{"resource backend", func(i *networkingv1.Ingress) {
			firstPath(i).Backend = networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}}
		}, nil},
		{"no port", func(i *networkingv1.Ingress) { firstPath(i).Backend.Service.Port.Number = 0 }, []string{"spec.rules[0].http.paths[0].backend"}},
		{"port name", func(i *networkingv1.Ingress) {
			firstPath(i).Backend.Service.Port = networkingv1.ServiceBackendPort{Name: "http"}
		}, nil},
		{"bad service name", func(i *networkingv1.Ingress) { firstPath(i).Backend.Service.Name = "1api" }, []string{"spec.rules[0].http.paths[0].backend.service.name"}},
		{"ip host", func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "10.0.0.1" }, []string{"spec.rules[0].host"}},
		{"bad wildcard", func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "a.*.com" }, []string{"spec.rules[0].host"}},
		{"bad tls host", func(i *networkingv1.Ingress) { i.Spec.TLS[0].Hosts = []string{"Bad_Host"} }, []string{"spec.tls[0].hosts[0]"}},
		{"bad class", func(i *networkingv1.Ingress) { i.Spec.IngressClassName = new("Nginx") }, []string{"spec.ingressClassName"}},
		{"annotation mismatch", func(i *networkingv1.Ingress) {
			i.Annotations = map[string]string{classAnnotation: "other"}
		}, []string{"annotations.kubernetes.io/ingress.class"}},
	})
}

func TestIngressLifecycle(t *testing.T) {
	st := strats["ingresses"]
	status := networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
		Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.9"}},
	}}
	created := ingress(func(i *networkingv1.Ingress) { i.Status = status })
	st.PrepareForCreate(created)
	if len(created.Status.LoadBalancer.Ingress) != 0 {
		t.Error("create kept the status")
	}

	old := ingress(func(i *networkingv1.Ingress) { i.Status = status })
	next := ingress(func(i *networkingv1.Ingress) { firstPath(i).Path = "/v2" })
	st.PrepareForUpdate(next, old)
	if next.Generation != 2 || len(next.Status.LoadBalancer.Ingress) != 1 {
		t.Errorf("update: generation %d, status %+v", next.Generation, next.Status)
	}

	ss := st.(rest.StatusStrategy)
	write := ingress(func(i *networkingv1.Ingress) {
		firstPath(i).Path = "/ignored"
		i.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.300"}, {Hostname: "10.0.0.1"}}
	})
	ss.PrepareForStatusUpdate(write, old)
	if firstPath(write).Path != "/api" {
		t.Error("status update changed the spec")
	}
	want := []string{"status.loadBalancer.ingress[0].ip", "status.loadBalancer.ingress[1].hostname"}
	if got := resttest.Paths(ss.ValidateStatusUpdate(write, old)); !slices.Equal(got, want) {
		t.Errorf("status: got %v, want %v", got, want)
	}
}
