package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestServerSideApply(t *testing.T) {
	c := testcluster.Start(t)
	t.Run("kubectl", func(t *testing.T) { testApplyKubectl(t, c) })
	t.Run("client-go", func(t *testing.T) { testApplyClientGo(t, c) })
}

const ssaDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa-web
  namespace: default
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: ssa-web}
  template:
    metadata:
      labels: {app: ssa-web}
    spec:
      containers:
      - name: web
        image: busybox:1.35
`

func testApplyKubectl(t *testing.T, c *testcluster.Cluster) {
	kubectl := openAPIKubectl(t, c)
	dir := t.TempDir()
	write := func(name, replicas string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Replace(ssaDeployment, "REPLICAS", replicas, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := kubectl(args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	replicas := func() string {
		t.Helper()
		return must("get", "deployment", "ssa-web", "-o", "jsonpath={.spec.replicas}")
	}

	// Apply creates, then changes a field the same manager owns.
	if out := must("apply", "--server-side", "-f", write("one.yaml", "1")); !strings.Contains(out, "deployment.apps/ssa-web serverside-applied") {
		t.Errorf("kubectl apply --server-side (create): %s", out)
	}
	must("apply", "--server-side", "-f", write("two.yaml", "2"))
	if got := replicas(); got != "2" {
		t.Errorf("replicas after the second apply = %s, want 2", got)
	}

	// Another manager conflicts on spec.replicas until it forces.
	five := write("five.yaml", "5")
	out, err := kubectl("apply", "--server-side", "--field-manager=other", "-f", five)
	if err == nil || !strings.Contains(out, `Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas`) {
		t.Fatalf("conflicting apply: err %v, want the conflict on .spec.replicas; got:\n%s", err, out)
	}
	if got := replicas(); got != "2" {
		t.Errorf("replicas after the refused apply = %s, want 2", got)
	}
	must("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", five)
	if got := replicas(); got != "5" {
		t.Errorf("replicas after the forced apply = %s, want 5", got)
	}

	// kubectl scale is recorded against the scale subresource.
	must("scale", "deployment", "ssa-web", "--replicas=3")
	shown := must("get", "deployment", "ssa-web", "-o", "yaml", "--show-managed-fields")
	for _, want := range []string{"managedFields:", "manager: kubectl\n", "manager: other", "operation: Apply", "subresource: scale", "fieldsV1:", "f:replicas: {}"} {
		if !strings.Contains(shown, want) {
			t.Errorf("get --show-managed-fields: missing %q in\n%s", want, shown)
		}
	}
	if hidden := must("get", "deployment", "ssa-web", "-o", "yaml"); strings.Contains(hidden, "managedFields") {
		t.Errorf("get -o yaml shows managedFields without --show-managed-fields:\n%s", hidden)
	}

	// Client-side apply keeps working and is recorded as an update.
	cm := filepath.Join(dir, "cm.yaml")
	for _, color := range []string{"blue", "green"} {
		if err := os.WriteFile(cm, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\n  namespace: default\ndata:\n  color: "+color+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		must("apply", "-f", cm)
	}
	shown = must("get", "configmap", "csa", "-o", "yaml", "--show-managed-fields")
	for _, want := range []string{"color: green", "manager: kubectl-client-side-apply", "operation: Update"} {
		if !strings.Contains(shown, want) {
			t.Errorf("client-side apply: missing %q in\n%s", want, shown)
		}
	}
}

func testApplyClientGo(t *testing.T, c *testcluster.Cluster) {
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(c.ProtobufConfig())
	deployments := cs.AppsV1().Deployments("default")
	want := func(replicas int32) *appsv1ac.DeploymentApplyConfiguration {
		return appsv1ac.Deployment("cg", "default").WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(replicas).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": "cg"})).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(map[string]string{"app": "cg"}).
				WithSpec(corev1ac.PodSpec().WithContainers(corev1ac.Container().WithName("c").WithImage("busybox")))))
	}

	d, err := deployments.Apply(ctx, want(1), metav1.ApplyOptions{FieldManager: "ctrl-a"})
	if err != nil {
		t.Fatalf("apply (create): %v", err)
	}
	if mf := d.ManagedFields; len(mf) != 1 || mf[0].Manager != "ctrl-a" || mf[0].Operation != metav1.ManagedFieldsOperationApply || mf[0].FieldsV1 == nil {
		t.Errorf("managedFields after apply-create = %+v", mf)
	}

	// An update by another manager takes spec.replicas.
	d.Spec.Replicas = ptr.To[int32](2)
	if d, err = deployments.Update(ctx, d, metav1.UpdateOptions{FieldManager: "ctrl-b"}); err != nil {
		t.Fatal(err)
	}
	if !hasEntry(d.ManagedFields, "ctrl-b", metav1.ManagedFieldsOperationUpdate, "") {
		t.Errorf("managedFields after update = %+v", d.ManagedFields)
	}

	_, err = deployments.Apply(ctx, want(4), metav1.ApplyOptions{FieldManager: "ctrl-a"})
	if !apierrors.IsConflict(err) {
		t.Fatalf("conflicting apply: err = %v, want 409", err)
	}
	if msg := err.Error(); msg != `Apply failed with 1 conflict: conflict with "ctrl-b" using apps/v1: .spec.replicas` {
		t.Errorf("conflict message = %q", msg)
	}
	st := err.(apierrors.APIStatus).Status()
	if st.Reason != metav1.StatusReasonConflict || st.Details == nil || len(st.Details.Causes) != 1 ||
		st.Details.Causes[0].Type != metav1.CauseTypeFieldManagerConflict || st.Details.Causes[0].Field != ".spec.replicas" {
		t.Errorf("conflict status = %+v", st)
	}

	if d, err = deployments.Apply(ctx, want(4), metav1.ApplyOptions{FieldManager: "ctrl-a", Force: true}); err != nil {
		t.Fatalf("forced apply: %v", err)
	}
	if *d.Spec.Replicas != 4 {
		t.Errorf("replicas after forced apply = %d", *d.Spec.Replicas)
	}

	// Status writes are recorded with their subresource.
	status := appsv1ac.Deployment("cg", "default").WithStatus(appsv1ac.DeploymentStatus().WithObservedGeneration(1))
	if d, err = deployments.ApplyStatus(ctx, status, metav1.ApplyOptions{FieldManager: "status-writer", Force: true}); err != nil {
		t.Fatalf("apply status: %v", err)
	}
	if !hasEntry(d.ManagedFields, "status-writer", metav1.ManagedFieldsOperationApply, "status") || d.Status.ObservedGeneration != 1 || *d.Spec.Replicas != 4 {
		t.Errorf("after status apply: status %+v, managedFields %+v", d.Status, d.ManagedFields)
	}

	// Apply needs a field manager, as in Kubernetes.
	err = cs.AppsV1().RESTClient().Patch(types.ApplyYAMLPatchType).Namespace("default").Resource("deployments").Name("cg").
		Body([]byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"cg"}}`)).Do(ctx).Error()
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`) {
		t.Errorf("apply without fieldManager: err = %v", err)
	}

	// Without a fieldManager parameter the manager is the user agent's
	// first segment.
	cfg := rest.CopyConfig(c.JSONConfig())
	cfg.UserAgent = "my-agent/1.0 (linux/amd64)"
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "ua"}, Data: map[string]string{"k": "v"}}
	created, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasEntry(created.ManagedFields, "my-agent", metav1.ManagedFieldsOperationUpdate, "") {
		t.Errorf("create without fieldManager: managedFields = %+v", created.ManagedFields)
	}
}

func hasEntry(mf []metav1.ManagedFieldsEntry, manager string, op metav1.ManagedFieldsOperationType, sub string) bool {
	for _, e := range mf {
		if e.Manager == manager && e.Operation == op && e.Subresource == sub && e.FieldsV1 != nil && e.Time != nil {
			return true
		}
	}
	return false
}
