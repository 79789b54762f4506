package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

const openAPIDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: oa-web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: oa-web}
  template:
    metadata:
      labels: {app: oa-web}
    spec:
      containers:
      - name: web
        image: busybox:1.35
        livenessProbe:
          httpGet: {path: /healthz, port: 8080}
`

// openAPIKubectl runs the real kubectl with its own, empty cache directory,
// so nothing a previous run downloaded is reused.
func openAPIKubectl(t *testing.T, c *testcluster.Cluster) func(args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not installed")
	}
	cache := t.TempDir()
	return func(args ...string) (string, error) {
		base := []string{"--kubeconfig", c.Server.KubeconfigPath(), "--cache-dir", cache}
		out, err := exec.Command("kubectl", append(base, args...)...).CombinedOutput()
		return string(out), err
	}
}

func TestOpenAPIKubectlValidates(t *testing.T) {
	c := testcluster.Start(t)
	kubectl := openAPIKubectl(t, c)
	dir := t.TempDir()

	app := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(app, []byte(openAPIDeployment), 0o600); err != nil {
		t.Fatal(err)
	}
	// With validation on (the default, strict): kubectl downloads the
	// OpenAPI documents, sees fieldValidation and leaves checking to us.
	out, err := kubectl("create", "-f", app)
	if err != nil || !strings.Contains(out, "deployment.apps/oa-web created") {
		t.Fatalf("kubectl create -f: %v\n%s", err, out)
	}

	bogus := filepath.Join(dir, "bogus.yaml")
	withBogus := strings.Replace(openAPIDeployment, "spec:\n  replicas: 1\n", "spec:\n  bogus: true\n  replicas: 1\n", 1)
	if err := os.WriteFile(bogus, []byte(withBogus), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = kubectl("apply", "-f", bogus)
	if err == nil {
		t.Fatalf("kubectl apply of an unknown field succeeded:\n%s", out)
	}
	if !strings.Contains(out, `unknown field "spec.bogus"`) {
		t.Errorf("kubectl apply: want the strict-validation error naming spec.bogus, got:\n%s", out)
	}

	// kubectl apply of a valid change still works (it reads the patch
	// strategy from the documents).
	changed := strings.Replace(openAPIDeployment, "replicas: 1", "replicas: 2", 1)
	if err := os.WriteFile(app, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := kubectl("apply", "-f", app); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
}

func TestOpenAPIKubectlExplain(t *testing.T) {
	c := testcluster.Start(t)
	kubectl := openAPIKubectl(t, c)

	out, err := kubectl("explain", "pod.spec.containers.livenessProbe")
	if err != nil {
		t.Fatalf("kubectl explain: %v\n%s", err, out)
	}
	for _, want := range []string{"KIND:       Pod", "FIELD: livenessProbe <Probe>", "Periodic probe of container liveness", "httpGet"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl explain: missing %q in\n%s", want, out)
		}
	}

	// The same from the Swagger 2.0 document, which kubectl reads as
	// protobuf.
	out, err = kubectl("explain", "deployment.spec.replicas", "--output=plaintext-openapiv2")
	if err != nil {
		t.Fatalf("kubectl explain (openapiv2): %v\n%s", err, out)
	}
	if !strings.Contains(out, "Number of desired pods") {
		t.Errorf("kubectl explain (openapiv2): no description in\n%s", out)
	}
}

func TestOpenAPIEndpoints(t *testing.T) {
	c := testcluster.Start(t)
	client, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, accept string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, c.Config.Host+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	resp := get("/openapi/v3", "")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/openapi/v3: %s\n%s", resp.Status, body)
	}
	var index struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatal(err)
	}
	apps, ok := index.Paths["apis/apps/v1"]
	if !ok {
		t.Fatalf("/openapi/v3 lists no apis/apps/v1: %s", body)
	}
	resp = get(apps.ServerRelativeURL, "application/json")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("%s: %s, Cache-Control %q", apps.ServerRelativeURL, resp.Status, resp.Header.Get("Cache-Control"))
	}

	resp = get("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "protobuf") {
		t.Errorf("/openapi/v2 as protobuf: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	resp = get("/openapi/v3/apis/nosuch/v1", "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/openapi/v3/apis/nosuch/v1: %s, want 404", resp.Status)
	}
}
