package ingress

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// env is a running Router on loopback over a fake clientset.
type env struct {
	t      *testing.T
	r      *Router
	client *fake.Clientset
}

// startRouter runs a Router on 127.0.0.1:0 with objs preloaded, waits for
// Ready and, on cleanup, checks that Run returns nil once cancelled.
func startRouter(t *testing.T, objs ...runtime.Object) *env {
	t.Helper()
	client := fake.NewClientset(objs...)
	r, err := New(Config{
		Client:    client,
		HTTPAddr:  "127.0.0.1:0",
		HTTPSAddr: "127.0.0.1:0",
		Log:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	})
	select {
	case <-r.Ready():
	case err := <-done:
		t.Fatalf("Run ended before Ready: %v", err)
	}
	return &env{t: t, r: r, client: client}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// get sends GET path with the given Host header over plain HTTP and returns
// the status code and body.
func (e *env) get(host, path string) (int, string) {
	e.t.Helper()
	resp := e.do(host, path)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func (e *env) do(host, path string) *http.Response {
	e.t.Helper()
	addr, _ := e.r.Addrs()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr.String()+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// expect checks that host+path answers code with body.
func (e *env) expect(host, path string, code int, body string) {
	e.t.Helper()
	gotCode, gotBody := e.get(host, path)
	if gotCode != code || (body != "" && gotBody != body) {
		e.t.Errorf("GET %s%s = %d %q, want %d %q", host, path, gotCode, gotBody, code, body)
	}
}

// eventually polls cond until it holds; the deadline only bounds a failing
// test, passing tests never wait for it.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// backendServer answers "<name> <path>" and echoes the forwarding headers
// it received as X-Got-* response headers.
func backendServer(t *testing.T, name string) *httptest.Server {
	return startServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Got-Host", r.Host)
		w.Header().Set("X-Got-Forwarded-For", r.Header.Get("X-Forwarded-For"))
		w.Header().Set("X-Got-Forwarded-Proto", r.Header.Get("X-Forwarded-Proto"))
		w.Header().Set("X-Got-Forwarded-Host", r.Header.Get("X-Forwarded-Host"))
		fmt.Fprintf(w, "%s %s", name, r.URL.Path)
	})
}

// startServer runs h on 127.0.0.1 until the test ends.
func startServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// serviceFor returns a Service name and its EndpointSlice pointing at srv.
func serviceFor(name string, srv *httptest.Server) []runtime.Object {
	return []runtime.Object{makeService(name), makeSlice(name+"-1", name).server(srv).obj()}
}
