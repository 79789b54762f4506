package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:1.35
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports:
  - port: 8080
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: demo
data:
  color: blue
`

// kubectl runs the real kubectl against the cluster.
type kubectl struct {
	t          *testing.T
	kubeconfig string
}

func newKubectl(t *testing.T, c *testcluster.Cluster) kubectl {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not installed: the README's setup installs it")
	}
	return kubectl{t: t, kubeconfig: c.Server.KubeconfigPath()}
}

func (k kubectl) run(args ...string) (string, error) {
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (k kubectl) must(args ...string) string {
	k.t.Helper()
	out, err := k.run(args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestKubectlBasics(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	out := k.must("get", "ns")
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if !strings.Contains(out, ns) {
			t.Errorf("kubectl get ns lacks %s:\n%s", ns, out)
		}
	}
	k.must("create", "namespace", "demo")
	file := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	out = k.must("create", "-f", file)
	for _, want := range []string{"deployment.apps/web created", "service/web created", "configmap/settings created"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl create -f: missing %q in\n%s", want, out)
		}
	}
	out = k.must("get", "deploy", "web", "-n", "demo", "-o", "yaml")
	for _, want := range []string{"kind: Deployment", "replicas: 2", "maxSurge: 25%", "revisionHistoryLimit: 10", "uid:"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get -o yaml: missing %q in\n%s", want, out)
		}
	}
	out = k.must("get", "svc", "web", "-n", "demo", "-o", "jsonpath={.spec.clusterIP}")
	if !strings.HasPrefix(out, "10.43.") {
		t.Errorf("service clusterIP = %q", out)
	}
	out = k.must("delete", "-f", file)
	if !strings.Contains(out, `deployment.apps "web" deleted`) {
		t.Errorf("kubectl delete -f:\n%s", out)
	}
	if out, err := k.run("get", "configmap", "settings", "-n", "demo"); err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("configmap still there after delete: %v\n%s", err, out)
	}
}

func TestKubectlWithoutCredentials(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	// A token the server does not know stands for "no credentials": with
	// none at all kubectl would prompt for a username instead.
	out, err := exec.Command("kubectl", "--server", c.Config.Host, "--insecure-skip-tls-verify", "--token", "not-a-known-token", "get", "ns").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "provide credentials") {
		t.Fatalf("kubectl with an unknown token: %v\n%s", err, out)
	}
	_ = k
}
