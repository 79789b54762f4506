package integration

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// helmCLI runs a helm binary against the cluster with every directory helm
// writes to (home, cache, config, data) inside the test's temp dir.
type helmCLI struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

func newHelm(t *testing.T, bin string, c *testcluster.Cluster) helmCLI {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"KUBECONFIG=" + c.Server.KubeconfigPath(),
		"HELM_NAMESPACE=default",
	}
	return helmCLI{t: t, bin: bin, dir: home, env: env}
}

func (h helmCLI) must(args ...string) string {
	h.t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Dir = h.dir
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// mustJSON runs helm with -o json and decodes its output into v.
func (h helmCLI) mustJSON(v any, args ...string) {
	h.t.Helper()
	out := h.must(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		h.t.Fatalf("helm %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

type helmRelease struct {
	Name     string `json:"name"`
	Revision string `json:"revision"`
	Status   string `json:"status"`
	Chart    string `json:"chart"`
}

type helmRevision struct {
	Revision    int    `json:"revision"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

func TestHelmChartLifecycle(t *testing.T) {
	// Build (or skip) before starting the cluster, which a cold build
	// would otherwise keep idle for minutes.
	bin := helmBinary(t)
	c := testcluster.Start(t)
	h := newHelm(t, bin, c)
	ctx := context.Background()
	deployments := c.Client.AppsV1().Deployments("default")

	h.must("create", "demo")
	chart := filepath.Join(h.dir, "demo")

	out := h.must("install", "demo", chart, "--dry-run=server")
	for _, want := range []string{"STATUS: pending-install", "kind: Deployment", "kind: Service", "kind: ServiceAccount"} {
		if !strings.Contains(out, want) {
			t.Errorf("helm install --dry-run=server: missing %q in\n%s", want, out)
		}
	}
	if _, err := deployments.Get(ctx, "demo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the dry run created the Deployment: %v", err)
	}

	out = h.must("install", "demo", chart, "--wait=false")
	if !strings.Contains(out, "STATUS: deployed") || !strings.Contains(out, "REVISION: 1") {
		t.Errorf("helm install:\n%s", out)
	}
	d, err := deployments.Get(ctx, "demo", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the installed Deployment: %v", err)
	}
	if got := d.Labels["app.kubernetes.io/managed-by"]; got != "Helm" {
		t.Errorf("Deployment managed-by = %q, want Helm", got)
	}
	if *d.Spec.Replicas != 1 {
		t.Errorf("Deployment replicas = %d, want 1", *d.Spec.Replicas)
	}

	var list []helmRelease
	h.mustJSON(&list, "list")
	if len(list) != 1 || list[0].Name != "demo" || list[0].Status != "deployed" || list[0].Revision != "1" {
		t.Errorf("helm list = %+v, want demo deployed at revision 1", list)
	}

	out = h.must("upgrade", "demo", chart, "--set", "replicaCount=2", "--wait=false")
	if !strings.Contains(out, "REVISION: 2") || !strings.Contains(out, "STATUS: deployed") {
		t.Errorf("helm upgrade:\n%s", out)
	}
	if d, err = deployments.Get(ctx, "demo", metav1.GetOptions{}); err != nil || *d.Spec.Replicas != 2 {
		t.Errorf("after the upgrade the Deployment has %v replicas (%v), want 2", d.Spec.Replicas, err)
	}

	// Helm stores each revision in a Secret labelled owner=helm, found by
	// listing with a label selector.
	if n := helmSecrets(t, c); n != 2 {
		t.Errorf("%d release Secrets after the upgrade, want 2", n)
	}

	var history []helmRevision
	h.mustJSON(&history, "history", "demo")
	if len(history) != 2 || history[0].Status != "superseded" || history[1].Status != "deployed" || history[1].Revision != 2 {
		t.Errorf("helm history = %+v, want revision 1 superseded and 2 deployed", history)
	}

	out = h.must("uninstall", "demo")
	if !strings.Contains(out, `release "demo" uninstalled`) {
		t.Errorf("helm uninstall:\n%s", out)
	}
	gone := map[string]error{}
	_, gone["Deployment"] = deployments.Get(ctx, "demo", metav1.GetOptions{})
	_, gone["Service"] = c.Client.CoreV1().Services("default").Get(ctx, "demo", metav1.GetOptions{})
	_, gone["ServiceAccount"] = c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "demo", metav1.GetOptions{})
	for kind, err := range gone {
		if !apierrors.IsNotFound(err) {
			t.Errorf("after helm uninstall the %s is still there: %v", kind, err)
		}
	}
	if n := helmSecrets(t, c); n != 0 {
		t.Errorf("%d release Secrets after uninstall, want 0", n)
	}
	h.mustJSON(&list, "list", "--all")
	if len(list) != 0 {
		t.Errorf("helm list --all after uninstall = %+v", list)
	}
}

// helmSecrets counts the release Secrets of the demo release.
func helmSecrets(t *testing.T, c *testcluster.Cluster) int {
	t.Helper()
	list, err := c.Client.CoreV1().Secrets("default").List(context.Background(),
		metav1.ListOptions{LabelSelector: "owner=helm,name=demo"})
	if err != nil {
		t.Fatalf("listing release Secrets: %v", err)
	}
	return len(list.Items)
}
