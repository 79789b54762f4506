package ingress

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

func TestEnsuresDefaultIngressClass(t *testing.T) {
	e := startRouter(t)
	ic, err := e.client.NetworkingV1().IngressClasses().Get(context.Background(), ClassName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ic.Spec.Controller != ControllerName || ic.Annotations[annotationDefaultClass] != "true" {
		t.Errorf("created class: controller %q annotations %v", ic.Spec.Controller, ic.Annotations)
	}
}

func TestLeavesUserEditedClassAlone(t *testing.T) {
	a := backendServer(t, "a")
	edited := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: ClassName},
		Spec:       networkingv1.IngressClassSpec{Controller: ControllerName},
	}
	classless := makeIngress("classless").noClass().rule("", path(prefix, "/", "a")).obj()
	e := startRouter(t, objects(serviceFor("a", a), []runtime.Object{edited, classless})...)

	ic, err := e.client.NetworkingV1().IngressClasses().Get(context.Background(), ClassName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ic.Annotations[annotationDefaultClass]; ok {
		t.Errorf("router re-added the default annotation: %v", ic.Annotations)
	}
	// skiff is not the default any more, so an Ingress without class is not ours.
	e.expect("x", "/", http.StatusNotFound, "")
}

func TestClassSelection(t *testing.T) {
	a, b, c := backendServer(t, "a"), backendServer(t, "b"), backendServer(t, "c")
	other := makeIngress("other").class("nginx").rule("", path(prefix, "/other", "a")).obj()
	legacyOther := makeIngress("legacy-other").noClass().annotation(annotationLegacyClass, "nginx").rule("", path(prefix, "/legacy-other", "a")).obj()
	legacy := makeIngress("legacy").noClass().annotation(annotationLegacyClass, ClassName).rule("", path(prefix, "/legacy", "b")).obj()
	classless := makeIngress("classless").noClass().rule("", path(prefix, "/classless", "c")).obj()
	e := startRouter(t, objects(serviceFor("a", a), serviceFor("b", b), serviceFor("c", c),
		[]runtime.Object{other, legacyOther, legacy, classless})...)

	e.expect("x", "/other", http.StatusNotFound, "")
	e.expect("x", "/legacy-other", http.StatusNotFound, "")
	e.expect("x", "/legacy", http.StatusOK, "b /legacy")
	// The class the router created is the default, so classless is served
	// once the class reaches the cache.
	eventually(t, "classless Ingress served through the default class", func() bool {
		code, _ := e.get("x", "/classless")
		return code == http.StatusOK
	})
}

func lbIPs(ips ...string) []networkingv1.IngressLoadBalancerIngress {
	var out []networkingv1.IngressLoadBalancerIngress
	for _, ip := range ips {
		out = append(out, networkingv1.IngressLoadBalancerIngress{IP: ip})
	}
	return out
}

func TestStatusHasReadyNodeIPs(t *testing.T) {
	served := makeIngress("served").rule("", path(prefix, "/", "a")).obj()
	other := makeIngress("other").class("nginx").rule("", path(prefix, "/", "a")).obj()
	e := startRouter(t,
		makeNode("n1", "10.1.0.2", true), makeNode("n2", "10.1.0.1", true), makeNode("n3", "10.1.0.3", false),
		served, other)

	ings := e.client.NetworkingV1().Ingresses(testNS)
	got, err := ings.Get(context.Background(), "served", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lbIPs("10.1.0.1", "10.1.0.2"), got.Status.LoadBalancer.Ingress); diff != "" {
		t.Errorf("served status (-want +got):\n%s", diff)
	}
	got, err = ings.Get(context.Background(), "other", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("Ingress of another class got status %v", got.Status.LoadBalancer.Ingress)
	}
}

func TestStatusUnchangedIsNotWritten(t *testing.T) {
	ing := makeIngress("served").rule("", path(prefix, "/", "a")).obj()
	ing.Status.LoadBalancer.Ingress = lbIPs("10.1.0.1")
	e := startRouter(t, makeNode("n1", "10.1.0.1", true), ing)
	for _, a := range e.client.Actions() {
		if a.GetSubresource() == "status" {
			t.Errorf("router wrote an unchanged status: %v", a)
		}
	}
}

func TestReloadKeepsInFlightRequests(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	slow := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.Write([]byte("slow done"))
	})
	b := backendServer(t, "b")
	ing := makeIngress("web").rule("", path(prefix, "/slow", "slow")).obj()
	e := startRouter(t, objects(serviceFor("slow", slow), serviceFor("b", b), []runtime.Object{ing})...)

	type result struct {
		code int
		body string
	}
	done := make(chan result, 1)
	go func() {
		resp := e.do("x", "/slow")
		body := make([]byte, 64)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(body[:n])}
	}()
	<-started

	ing = ing.DeepCopy()
	ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths, path(prefix, "/new", "b"))
	if _, err := e.client.NetworkingV1().Ingresses(testNS).Update(context.Background(), ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "updated Ingress served", func() bool {
		code, body := e.get("x", "/new")
		return code == http.StatusOK && body == "b /new"
	})
	close(release)
	if got := <-done; got != (result{http.StatusOK, "slow done"}) {
		t.Errorf("in-flight request across reload got %+v", got)
	}
}

func TestRunFailsWhenPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r, err := New(Config{Client: fake.NewClientset(), HTTPAddr: "127.0.0.1:0", HTTPSAddr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err == nil {
		t.Error("Run succeeded although the HTTPS port is taken")
	}
}

func TestNewRequiresClient(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New accepted a Config without Client")
	}
}
