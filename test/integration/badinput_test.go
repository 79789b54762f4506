package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// raw sends a request with the admin credentials and returns the status
// code and the decoded metav1.Status (if the body is one).
func raw(t *testing.T, c *testcluster.Cluster, method, path, contentType string, body []byte) (int, metav1.Status) {
	t.Helper()
	tr, err := rest.TransportFor(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, c.Config.Host+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var st metav1.Status
	_ = json.Unmarshal(data, &st)
	return resp.StatusCode, st
}

func TestBadInput(t *testing.T) {
	c := testcluster.Start(t)
	const cms = "/api/v1/namespaces/default/configmaps"
	big := `{"metadata":{"name":"big"},"data":{"k":"` + strings.Repeat("x", 3*1024*1024+10) + `"}}`
	cases := []struct {
		name, ct, body string
		code           int
		reason         metav1.StatusReason
		path           string
	}{
		{"malformed json", "application/json", `{"metadata":`, 400, metav1.StatusReasonBadRequest, cms},
		{"malformed yaml", "application/yaml", "metadata: [\n", 400, metav1.StatusReasonBadRequest, cms},
		{"too large", "application/json", big, 413, metav1.StatusReasonRequestEntityTooLarge, cms},
		{"unknown field strict", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u"},"bogus":1}`, 400, metav1.StatusReasonBadRequest, cms + "?fieldValidation=Strict"},
		{"wrong kind", "application/json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"w"}}`, 400, metav1.StatusReasonBadRequest, cms},
		{"invalid name", "application/json", `{"metadata":{"name":"Not_Valid"}}`, 422, metav1.StatusReasonInvalid, cms},
		{"unsupported patch", "application/xml", `{}`, 415, metav1.StatusReasonUnsupportedMediaType, cms + "/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if tc.name == "unsupported patch" {
				method = http.MethodPatch
			}
			code, st := raw(t, c, method, tc.path, tc.ct, []byte(tc.body))
			if code != tc.code || st.Reason != tc.reason || st.Kind != "Status" {
				t.Fatalf("got %d %q (%q), want %d %q", code, st.Reason, st.Message, tc.code, tc.reason)
			}
		})
	}
	// A resource nobody serves has no route: a plain 404, as in Kubernetes,
	// which client-go turns into a NotFound error.
	body, err := kubernetes.NewForConfigOrDie(c.Config).CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces/default/nothings").DoRaw(context.Background())
	if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), "the server could not find the requested resource") {
		t.Fatalf("unknown resource: %v (%s), want client-go's NotFound for a plain 404", err, body)
	}
	// Unknown fields with the default (Warn) are dropped with a warning.
	code, _ := raw(t, c, http.MethodPost, cms, "application/json", []byte(`{"metadata":{"name":"warned"},"bogus":1}`))
	if code != http.StatusCreated {
		t.Fatalf("unknown field without Strict: got %d, want 201", code)
	}
}

func TestUnauthenticatedRequests(t *testing.T) {
	c := testcluster.Start(t)
	tr := &http.Transport{TLSClientConfig: mustTLS(t, c)}
	hc := &http.Client{Transport: tr}
	for path, want := range map[string]int{"/api/v1/namespaces": 401, "/healthz": 200, "/readyz": 200, "/livez": 200, "/version": 200, "/metrics": 401} {
		resp, err := hc.Get(c.Config.Host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s without credentials: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func mustTLS(t *testing.T, c *testcluster.Cluster) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.Config.CAData) {
		t.Fatal("no CA in client config")
	}
	return &tls.Config{RootCAs: pool}
}
