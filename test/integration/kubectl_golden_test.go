package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// step builds a scenario step from a command line split on spaces.
func step(name, cmdline string) goldenStep {
	return goldenStep{name: name, args: strings.Fields(cmdline)}
}

// TestKubectlGolden runs the real kubectl through discovery, OpenAPI,
// tables, changes, descriptions and custom resources against one
// cluster, comparing each transcript with testdata/kubectl/<step>.golden.
// The goldens hold what Kubernetes prints; rewrite them with
// `go test -run TestKubectlGolden ./test/integration -args -update` and
// review the diff against Kubernetes' behaviour.
func TestKubectlGolden(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	c.RunControllers(t, map[string]controllerctx.Constructor{"garbagecollector": gcWithoutPolling}, nil)
	goldenFixture(t, c)
	home := t.TempDir()
	editor, err := filepath.Abs(filepath.Join(goldenDir, "editor.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range goldenScenario(c) {
		if s.before != nil {
			s.before(t)
		}
		checkGolden(t, s.name, k.runStep(s, home, editor))
	}
}

func goldenScenario(c *testcluster.Cluster) []goldenStep {
	f := func(name string) string { return filepath.Join(goldenDir, name) }
	patchJSON := goldenStep{name: "patch-json", args: []string{"patch", "deploy", "shop", "-n", "demo", "--type=json", "-p", `[{"op":"replace","path":"/spec/replicas","value":1}]`}}
	patchMerge := goldenStep{name: "patch-merge", args: []string{"patch", "cm", "shop-a", "-n", "demo", "--type=merge", "-p", `{"data":{"size":"L"}}`}}
	patchSMP := goldenStep{name: "patch-strategic", args: []string{"patch", "deploy", "shop", "-n", "demo", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"shop","image":"nginx:1.28"}]}}}}`}}
	cascade := step("delete-cascade-foreground", "delete deploy fg -n demo --cascade=foreground")
	cascade.before = func(t *testing.T) { ownedDeployments(t, c, "fg", "bg", "orphan") }
	afterCascade := step("get-rs-after-cascade", "get rs -n demo")
	afterCascade.before = func(t *testing.T) { waitFor(t, rsGone(c, "bg-1"), "bg's ReplicaSet collected") }
	waitTimeout := step("wait-delete-timeout", "wait --for=delete pod/held -n demo --timeout=1s")
	waitTimeout.before = func(t *testing.T) { heldPod(t, c) }
	waitDelete := step("wait-delete", "wait --for=delete pod/held -n demo")
	waitDelete.before = func(t *testing.T) { releasePod(t, c) }
	// kubectl wait fails, rather than waits, on a definition without
	// conditions yet; Kubernetes' controller is as quick as it is.
	established := step("crd-established", "wait --for=condition=Established crd/widgets.example.com")
	established.before = func(t *testing.T) { waitFor(t, crdEstablished(c), "widgets.example.com established") }
	crdGone := step("cr-get-after-crd-delete", "get widgets -n demo")
	crdGone.before = func(t *testing.T) { waitFor(t, func() bool { return !served(c)() }, "widgets no longer served") }
	return []goldenStep{
		// 1. Discovery.
		step("api-versions", "api-versions"),
		step("api-resources", "api-resources"),
		step("api-resources-apps-wide", "api-resources --api-group=apps -o wide"),
		step("get-short-names", "get po,deploy,svc -n demo"),
		step("get-all", "get all -n demo"),
		// 2. OpenAPI.
		step("explain-liveness-probe", "explain pod.spec.containers.livenessProbe"),
		step("apply-unknown-field", "apply --validate=strict -f "+f("unknown-field.yaml")),
		step("apply-duplicate-field", "apply --validate=strict -f "+f("duplicate-field.yaml")),
		step("create-raw-duplicate-field", "create --raw /api/v1/namespaces/demo/configmaps?fieldValidation=Strict -f "+f("duplicate-field.json")),
		// 3. Tables.
		step("get-pods", "get pods -n demo"),
		step("get-pods-wide", "get pods -n demo -o wide"),
		step("get-pods-label-column", "get pods -n demo -L app"),
		step("get-pods-show-labels", "get pods -n demo --show-labels"),
		step("get-deploy-wide", "get deploy -n demo -o wide"),
		step("get-rs-wide", "get rs -n demo -o wide"),
		step("get-svc-wide", "get svc -n demo -o wide"),
		step("get-nodes", "get nodes"),
		step("get-nodes-wide", "get nodes -o wide"),
		step("get-ns", "get ns"),
		step("get-events", "get events -n demo"),
		// 4. Changes.
		step("apply-create", "apply -f "+f("shop.yaml")),
		step("apply-unchanged", "apply -f "+f("shop.yaml")),
		step("apply-prune", "apply --prune -l app=shop -f "+f("shop-v2.yaml")),
		step("get-cm", "get cm -n demo"),
		step("diff", "diff -f "+f("shop-v3.yaml")),
		step("apply-server-side", "apply --server-side -f "+f("ssa.yaml")),
		step("apply-server-side-conflict", "apply --server-side --field-manager=other -f "+f("ssa-other.yaml")),
		step("apply-server-side-force", "apply --server-side --field-manager=other --force-conflicts -f "+f("ssa-other.yaml")),
		step("edit", "edit cm shop-a -n demo"),
		step("label", "label deploy shop -n demo tier=web"),
		step("annotate", "annotate deploy shop -n demo owner=team-a"),
		step("scale", "scale deploy shop -n demo --replicas=3"),
		step("set-image", "set image deploy/shop -n demo shop=nginx:1.27.1"),
		step("set-env", "set env deploy/shop -n demo MODE=prod"),
		patchJSON, patchMerge, patchSMP,
		step("get-deploy-yaml", "get deploy shop -n demo -o yaml"),
		step("get-cm-yaml", "get cm shop-a -n demo -o yaml"),
		step("create-deployment-dry-run", "create deployment api -n demo --image=nginx:1.27 --replicas=2 --dry-run=server -o yaml"),
		step("create-service-dry-run", "create service clusterip api -n demo --tcp=80:8080 --dry-run=server -o yaml"),
		step("create-configmap-dry-run", "create configmap api -n demo --from-literal=mode=prod --dry-run=server -o yaml"),
		step("create-secret-dry-run", "create secret generic api -n demo --from-literal=token=s3cr3t --dry-run=server -o yaml"),
		step("create-job-dry-run", "create job migrate -n demo --image=busybox:1.36 --dry-run=server -o yaml -- echo done"),
		{name: "create-cronjob-dry-run", args: []string{"create", "cronjob", "nightly", "-n", "demo", "--image=busybox:1.36", "--schedule=0 3 * * *", "--dry-run=server", "-o", "yaml"}},
		cascade,
		step("delete-cascade-background", "delete deploy bg -n demo --cascade=background"),
		step("delete-cascade-orphan", "delete deploy orphan -n demo --cascade=orphan"),
		afterCascade,
		step("wait-condition", "wait --for=condition=Available deploy/web -n demo"),
		step("rollout-status", "rollout status deploy/web -n demo"),
		step("rollout-history", "rollout history deploy/web -n demo"),
		step("auth-can-i", "auth can-i create pods -n demo"),
		waitTimeout, waitDelete,
		// 5. Descriptions.
		step("describe-pod", "describe pod web-1 -n demo"),
		step("describe-pod-crash", "describe pod crash -n demo"),
		step("describe-node", "describe node node-1"),
		step("describe-deployment", "describe deploy web -n demo"),
		step("describe-replicaset", "describe rs web-7b9c6d5f8 -n demo"),
		step("describe-service", "describe svc web -n demo"),
		step("describe-namespace", "describe ns demo"),
		// 6. Custom resources.
		step("crd-create", "apply -f "+f("crd.yaml")),
		established,
		step("cr-create-pruned", "apply --validate=false -f "+f("widget.yaml")),
		step("cr-get", "get wd -n demo"),
		step("cr-get-yaml", "get widget small -n demo -o yaml"),
		step("cr-invalid", "apply -f "+f("bad-widget.yaml")),
		step("cr-scale", "scale widget small -n demo --replicas=4"),
		step("cr-get-replicas", "get widget small -n demo -o jsonpath={.spec.replicas}"),
		step("crd-delete", "delete crd widgets.example.com"),
		crdGone,
	}
}

// ownedDeployments creates, for each name, a deployment with one
// ReplicaSet "<name>-1" it controls, for the cascading deletes.
func ownedDeployments(t *testing.T, c *testcluster.Cluster, names ...string) {
	t.Helper()
	ctx := context.Background()
	for _, name := range names {
		labels := map[string]string{"app": name}
		one := int32(1)
		d, err := c.Client.AppsV1().Deployments("demo").Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo"},
			Spec: appsv1.DeploymentSpec{
				Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.35"}}}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Client.AppsV1().ReplicaSets("demo").Create(ctx, ownedReplicaSet(d, "1"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func crdEstablished(c *testcluster.Cluster) func() bool {
	ext := apiextensionsclient.NewForConfigOrDie(c.Config)
	return func() bool {
		crd, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), "widgets.example.com", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established {
				return cond.Status == apiextensionsv1.ConditionTrue
			}
		}
		return false
	}
}

// served reports whether the API serves widgets (its list succeeds).
func served(c *testcluster.Cluster) func() bool {
	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("demo")
	return func() bool {
		_, err := dyn.List(context.Background(), metav1.ListOptions{})
		return err == nil
	}
}

func rsGone(c *testcluster.Cluster, name string) func() bool {
	return func() bool {
		_, err := c.Client.AppsV1().ReplicaSets("demo").Get(context.Background(), name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}
}

// heldPod creates the pod "held", kept by a finalizer, and deletes it:
// it stays terminating until releasePod.
func heldPod(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "held", Namespace: "demo", Finalizers: []string{"example.com/hold"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.35"}}},
	}
	if _, err := c.Client.CoreV1().Pods("demo").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Client.CoreV1().Pods("demo").Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// releasePod removes the finalizer holding "held", which ends it.
func releasePod(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	if _, err := c.Client.CoreV1().Pods("demo").Patch(context.Background(), "held", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}
