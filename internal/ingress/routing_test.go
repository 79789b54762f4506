package ingress

import (
	"net"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// objects joins object lists for startRouter.
func objects(lists ...[]runtime.Object) []runtime.Object {
	var out []runtime.Object
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func TestHostAndPathRouting(t *testing.T) {
	a, b, c := backendServer(t, "a"), backendServer(t, "b"), backendServer(t, "c")
	ing := makeIngress("web").rule("foo.com",
		path(exact, "/exact", "a"),
		path(prefix, "/app", "b"),
		path(prefix, "/app/admin", "c"),
	).obj()
	e := startRouter(t, objects(serviceFor("a", a), serviceFor("b", b), serviceFor("c", c), []runtime.Object{ing})...)

	e.expect("foo.com", "/exact", http.StatusOK, "a /exact")
	e.expect("foo.com", "/exact/more", http.StatusNotFound, "")
	e.expect("foo.com", "/app", http.StatusOK, "b /app")
	e.expect("foo.com", "/app/x", http.StatusOK, "b /app/x")
	e.expect("foo.com", "/app/admin/users", http.StatusOK, "c /app/admin/users")
	e.expect("foo.com", "/appx", http.StatusNotFound, "")
	e.expect("foo.com:8080", "/app", http.StatusOK, "b /app")
	e.expect("bar.com", "/app", http.StatusNotFound, "")
}

func TestForwardedHeaders(t *testing.T) {
	a := backendServer(t, "a")
	ing := makeIngress("web").rule("", path(prefix, "/", "a")).obj()
	e := startRouter(t, objects(serviceFor("a", a), []runtime.Object{ing})...)

	resp := e.do("foo.com", "/")
	resp.Body.Close()
	checks := map[string]string{
		"X-Got-Host":            "foo.com",
		"X-Got-Forwarded-For":   "127.0.0.1",
		"X-Got-Forwarded-Proto": "http",
		"X-Got-Forwarded-Host":  "foo.com",
	}
	for h, want := range checks {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestWildcardHost(t *testing.T) {
	a := backendServer(t, "a")
	ing := makeIngress("wild").rule("*.example.com", path(prefix, "/", "a")).obj()
	e := startRouter(t, objects(serviceFor("a", a), []runtime.Object{ing})...)

	e.expect("one.example.com", "/x", http.StatusOK, "a /x")
	e.expect("a.b.example.com", "/x", http.StatusNotFound, "")
	e.expect("example.com", "/x", http.StatusNotFound, "")
}

func TestDefaultBackendAnd404(t *testing.T) {
	a, d := backendServer(t, "a"), backendServer(t, "d")
	withDefault := makeIngress("web").rule("foo.com", path(prefix, "/a", "a")).defaultBackend("d", 80).obj()
	e := startRouter(t, objects(serviceFor("a", a), serviceFor("d", d), []runtime.Object{withDefault})...)
	e.expect("foo.com", "/a", http.StatusOK, "a /a")
	e.expect("foo.com", "/other", http.StatusOK, "d /other")
	e.expect("unknown.com", "/", http.StatusOK, "d /")

	plain := makeIngress("web").rule("foo.com", path(prefix, "/a", "a")).obj()
	e = startRouter(t, objects(serviceFor("a", a), []runtime.Object{plain})...)
	e.expect("foo.com", "/other", http.StatusNotFound, "")
}

func TestNoEndpointsIs503(t *testing.T) {
	ing := makeIngress("web").rule("",
		path(prefix, "/empty", "empty"),
		path(prefix, "/notready", "notready"),
		path(prefix, "/missing", "missing"),
	).obj()
	notReady := makeSlice("notready-1", "notready").port("", 8080).endpoint("127.0.0.1", false).obj()
	e := startRouter(t, makeService("empty"), makeService("notready"), notReady, ing)

	for _, p := range []string{"/empty", "/notready", "/missing"} {
		e.expect("foo.com", p, http.StatusServiceUnavailable, "")
	}
}

func TestNamedServicePort(t *testing.T) {
	web, metrics := backendServer(t, "web"), backendServer(t, "metrics")
	ip, webPort := hostPort(web)
	_, metricsPort := hostPort(metrics)
	svc := makeService("multi",
		corev1.ServicePort{Name: "http", Port: 8080},
		corev1.ServicePort{Name: "metrics", Port: 9090},
	)
	slice := makeSlice("multi-1", "multi").port("http", webPort).port("metrics", metricsPort).endpoint(ip, true).obj()
	byName := path(prefix, "/m", "multi")
	byName.Backend.Service.Port = networkingv1.ServiceBackendPort{Name: "metrics"}
	byNumber := path(prefix, "/w", "multi")
	byNumber.Backend.Service.Port = networkingv1.ServiceBackendPort{Number: 8080}
	ing := makeIngress("web").rule("", byName, byNumber).obj()
	e := startRouter(t, svc, slice, ing)

	e.expect("x", "/m", http.StatusOK, "metrics /m")
	e.expect("x", "/w", http.StatusOK, "web /w")
}

func TestRoundRobin(t *testing.T) {
	a, b := backendServer(t, "a"), backendServer(t, "b")
	ing := makeIngress("web").rule("", path(prefix, "/", "rr")).obj()
	e := startRouter(t, makeService("rr"), makeSlice("rr-1", "rr").server(a).obj(), makeSlice("rr-2", "rr").server(b).obj(), ing)

	counts := map[string]int{}
	for range 4 {
		_, body := e.get("x", "/")
		counts[body]++
	}
	if counts["a /"] != 2 || counts["b /"] != 2 {
		t.Errorf("4 requests spread as %v, want 2 each on a and b", counts)
	}
}

func TestRetryOnConnectionFailure(t *testing.T) {
	a := backendServer(t, "a")
	ing := makeIngress("web").rule("", path(prefix, "/", "rr")).obj()
	dead := makeSlice("rr-dead", "rr").port("", closedPort(t)).endpoint("127.0.0.1", true).obj()
	e := startRouter(t, makeService("rr"), dead, makeSlice("rr-1", "rr").server(a).obj(), ing)

	for range 4 {
		e.expect("x", "/", http.StatusOK, "a /")
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestOldestIngressWinsConflicts(t *testing.T) {
	a, b := backendServer(t, "a"), backendServer(t, "b")
	older := makeIngress("older").createdAt(0).rule("foo.com", path(prefix, "/", "a")).obj()
	newer := makeIngress("newer").createdAt(5).rule("foo.com", path(prefix, "/", "b"), path(prefix, "/b", "b")).obj()
	e := startRouter(t, objects(serviceFor("a", a), serviceFor("b", b), []runtime.Object{newer, older})...)

	e.expect("foo.com", "/x", http.StatusOK, "a /x")
	e.expect("foo.com", "/b", http.StatusOK, "b /b") // non-conflicting rules merge
}

func TestExternalNameService(t *testing.T) {
	a := backendServer(t, "a")
	ip, port := hostPort(a)
	svc := makeService("ext")
	svc.Spec.Type = corev1.ServiceTypeExternalName
	svc.Spec.ExternalName = ip // an IP keeps the test away from DNS
	p := path(prefix, "/", "ext")
	p.Backend.Service.Port.Number = int32(port)
	e := startRouter(t, svc, makeIngress("web").rule("", p).obj())

	e.expect("x", "/y", http.StatusOK, "a /y")
}
