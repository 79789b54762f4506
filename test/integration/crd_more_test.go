package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/garbagecollector"
	"github.com/skiff-sh/skiff/internal/controller/namespace"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// gcWithoutPolling is the garbage collector with its periodic resync
// out of the way, so only definition events can make it see new kinds.
func gcWithoutPolling(cc *controllerctx.Context) (controllerctx.Controller, error) {
	ctl, err := garbagecollector.New(cc)
	if err == nil {
		ctl.(*garbagecollector.Controller).Resync = time.Hour
	}
	return ctl, err
}

func widgetGone(c *testcluster.Cluster, ns, name string) func() bool {
	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace(ns)
	return func() bool {
		_, err := dyn.Get(context.Background(), name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}
}

// TestCustomResourcesGarbageCollected starts the collector before the
// definition exists: it must pick up the new kind on its own.
func TestCustomResourcesGarbageCollected(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"garbagecollector": gcWithoutPolling}, nil)
	createWidgetCRD(t, c, newKubectl(t, c))
	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("default")

	t.Run("custom owner", func(t *testing.T) {
		owner, err := dyn.Create(ctx, widget("owner", map[string]any{"size": int64(1)}), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dep := configMap("owned-by-widget", nil)
		dep.OwnerReferences = []metav1.OwnerReference{{APIVersion: "example.com/v1", Kind: "Widget", Name: "owner", UID: owner.GetUID()}}
		mustCreateCM(t, c, dep)
		start := time.Now()
		if err := dyn.Delete(ctx, "owner", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitLong(t, 20*time.Second, cmGone(c, "owned-by-widget"), "dependent of a deleted Widget to go")
		t.Logf("dependent collected %v after its Widget was deleted", time.Since(start))
	})
	t.Run("custom dependent", func(t *testing.T) {
		owner := mustCreateCM(t, c, configMap("widget-owner", nil))
		w := widget("dependent", map[string]any{"size": int64(1)})
		w.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}})
		if _, err := dyn.Create(ctx, w, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		deleteCM(t, c, "widget-owner", metav1.DeletePropagationBackground)
		waitLong(t, 20*time.Second, widgetGone(c, "default", "dependent"), "Widget owned by a deleted ConfigMap to go")
	})
}

func TestCustomResourcesNamespaceDeletion(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"namespace": namespace.New}, nil)
	k := newKubectl(t, c)
	createWidgetCRD(t, c, k)
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crns"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("crns")
	for _, name := range []string{"a", "b"} {
		w := widget(name, map[string]any{"size": int64(1)})
		w.SetNamespace("crns")
		if _, err := dyn.Create(ctx, w, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	k.must("delete", "namespace", "crns", "--timeout=20s")
	if _, err := c.Client.CoreV1().Namespaces().Get(ctx, "crns", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace after kubectl delete: %v", err)
	}
	// Objects are keyed by namespace and name: a namespace of the same
	// name must not find the old Widgets.
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crns"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := dyn.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("widgets left in the namespace: %v %v", err, names(list))
	}
}

func names(l *unstructured.UnstructuredList) []string {
	if l == nil {
		return nil
	}
	var out []string
	for _, it := range l.Items {
		out = append(out, it.GetName())
	}
	return out
}

func TestCustomResourcesExplain(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	ext := createWidgetCRD(t, c, k)
	out := k.must("explain", "widgets.spec")
	for _, want := range []string{"GROUP:      example.com", "KIND:       Widget", "size", "color"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl explain widgets.spec lacks %q:\n%s", want, out)
		}
	}
	// A changed definition is explained at once.
	crd, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	spec.Properties["shape"] = apiextensionsv1.JSONSchemaProps{Type: "string", Description: "The outline of the widget."}
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"] = spec
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Update(context.Background(), crd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 5*time.Second, func() bool {
		out, _ := k.run("explain", "widgets.spec.shape")
		return strings.Contains(out, "The outline of the widget.")
	}, "kubectl explain to show the new field")
	if out := k.must("get", "--raw", "/openapi/v2"); !strings.Contains(out, `"com.example.v1.Widget"`) {
		t.Error("/openapi/v2 lacks com.example.v1.Widget")
	}
}

func TestCustomResourcesServerSideApply(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	createWidgetCRD(t, c, k)
	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("default")
	write := func(name, size string) string {
		p := filepath.Join(t.TempDir(), name)
		manifest := "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: applied\n  namespace: default\nspec:\n  size: " + size + "\n  color: blue\n"
		if err := os.WriteFile(p, []byte(manifest), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	size := func() int64 {
		u, err := dyn.Get(context.Background(), "applied", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n, _, _ := unstructured.NestedInt64(u.Object, "spec", "size")
		return n
	}

	if out := k.must("apply", "--server-side", "-f", write("one.yaml", "1")); !strings.Contains(out, "widget.example.com/applied serverside-applied") {
		t.Errorf("apply (create): %s", out)
	}
	k.must("apply", "--server-side", "-f", write("two.yaml", "2"))
	if got := size(); got != 2 {
		t.Errorf("size after the second apply = %d, want 2", got)
	}

	five := write("five.yaml", "5")
	out, err := k.run("apply", "--server-side", "--field-manager=other", "-f", five)
	if err == nil || !strings.Contains(out, `Apply failed with 1 conflict: conflict with "kubectl": .spec.size`) {
		t.Fatalf("conflicting apply: err %v; got:\n%s", err, out)
	}
	if got := size(); got != 2 {
		t.Errorf("size after the refused apply = %d, want 2", got)
	}
	k.must("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", five)
	if got := size(); got != 5 {
		t.Errorf("size after the forced apply = %d, want 5", got)
	}

	// Other writes are recorded as updates.
	if _, err := dyn.Patch(context.Background(), "applied", types.MergePatchType, []byte(`{"metadata":{"labels":{"a":"b"}}}`), metav1.PatchOptions{FieldManager: "patcher"}); err != nil {
		t.Fatal(err)
	}
	shown := k.must("get", "widget", "applied", "-o", "yaml", "--show-managed-fields")
	for _, want := range []string{"manager: other", "operation: Apply", "manager: patcher", "operation: Update", "f:size: {}", "f:a: {}"} {
		if !strings.Contains(shown, want) {
			t.Errorf("get --show-managed-fields: missing %q in\n%s", want, shown)
		}
	}
	// The forced apply took .spec.size; kubectl still shares .spec.color,
	// applied with the same value.
	u, err := dyn.Get(context.Background(), "applied", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range u.GetManagedFields() {
		if e.Manager == "kubectl" && (strings.Contains(string(e.FieldsV1.Raw), `"f:size"`) || !strings.Contains(string(e.FieldsV1.Raw), `"f:color"`)) {
			t.Errorf("kubectl's fields after the forced apply: %s", e.FieldsV1.Raw)
		}
	}
}

// Writes through a custom resource's scale subresource own its replicas
// field in managedFields, so a later apply of another value conflicts, as
// on Kubernetes.
func TestCustomResourceScaleManagedFields(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	createWidgetCRD(t, c, newKubectl(t, c))
	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("default")
	apply := func(replicas int64) error {
		body := fmt.Sprintf(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"scaled"},"spec":{"size":1,"replicas":%d}}`, replicas)
		_, err := dyn.Patch(ctx, "scaled", types.ApplyPatchType, []byte(body), metav1.PatchOptions{FieldManager: "deployer"})
		return err
	}
	if err := apply(1); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Patch(ctx, "scaled", types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{FieldManager: "autoscaler"}, "scale"); err != nil {
		t.Fatal(err)
	}
	w, err := dyn.Get(ctx, "scaled", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var scaler *metav1.ManagedFieldsEntry
	for i, e := range w.GetManagedFields() {
		if e.Manager == "autoscaler" {
			scaler = &w.GetManagedFields()[i]
		}
	}
	if scaler == nil || scaler.Subresource != "scale" || scaler.FieldsV1 == nil || !strings.Contains(string(scaler.FieldsV1.Raw), `"f:replicas"`) {
		t.Fatalf("managedFields after scale: %+v", w.GetManagedFields())
	}
	err = apply(1)
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `conflict with "autoscaler" with subresource "scale"`) {
		t.Errorf("apply over the scaler's replicas: %v, want a conflict naming the scaler", err)
	}
	// Server-side apply works on the scale subresource too.
	force := true
	scale, err := dyn.Patch(ctx, "scaled", types.ApplyPatchType, []byte(`{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"scaled"},"spec":{"replicas":6}}`),
		metav1.PatchOptions{FieldManager: "hpa", Force: &force}, "scale")
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(scale.Object, "spec", "replicas"); n != 6 {
		t.Errorf("applied scale: %v", scale.Object)
	}
}
