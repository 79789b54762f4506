package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/skiff-sh/skiff/internal/server"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

var widgets = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}

func widgetCRD() *apiextensionsv1.CustomResourceDefinition {
	min1 := 1.0
	sel := ".status.selector"
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget", ShortNames: []string{"wd"}},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Required: []string{"size"}, Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"size":     {Type: "integer", Minimum: &min1},
							"color":    {Type: "string", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"red"`)}, {Raw: []byte(`"blue"`)}}, Default: &apiextensionsv1.JSON{Raw: []byte(`"red"`)}},
							"replicas": {Type: "integer"},
						}},
						"status": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"phase":    {Type: "string"},
							"replicas": {Type: "integer"},
							"selector": {Type: "string"},
						}},
					},
				}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{
					Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
					Scale:  &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas", LabelSelectorPath: &sel},
				},
				AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{
					{Name: "Size", Type: "integer", JSONPath: ".spec.size"},
					{Name: "Color", Type: "string", JSONPath: ".spec.color"},
				},
			}},
		},
	}
}

func widget(name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": name, "namespace": "default"},
		"spec":     spec,
	}}
}

// createWidgetCRD creates the definition and waits until kubectl sees it,
// logging how long that took.
func createWidgetCRD(t *testing.T, c *testcluster.Cluster, k kubectl) apiextensionsclient.Interface {
	t.Helper()
	ctx := context.Background()
	ext := apiextensionsclient.NewForConfigOrDie(c.Config)
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, widgetCRD(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		out, err := k.run("get", "widgets")
		if err == nil {
			t.Logf("served after %v: %s", time.Since(start), out)
			break
		}
		// The time is logged, not asserted: a loaded machine may take longer.
		if time.Since(start) > 30*time.Second {
			t.Fatalf("kubectl get widgets after %v: %v\n%s", time.Since(start), err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ext
}

func TestCustomResources(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	ctx := context.Background()
	ext := createWidgetCRD(t, c, k)

	got, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conds := map[apiextensionsv1.CustomResourceDefinitionConditionType]apiextensionsv1.ConditionStatus{}
	for _, cond := range got.Status.Conditions {
		conds[cond.Type] = cond.Status
	}
	if conds[apiextensionsv1.NamesAccepted] != apiextensionsv1.ConditionTrue || conds[apiextensionsv1.Established] != apiextensionsv1.ConditionTrue || got.Status.AcceptedNames.Kind != "Widget" {
		t.Fatalf("status = %+v", got.Status)
	}
	if got.Spec.Names.Singular != "widget" || got.Spec.Names.ListKind != "WidgetList" || len(got.Finalizers) != 1 {
		t.Fatalf("defaults/finalizer: %+v %v", got.Spec.Names, got.Finalizers)
	}
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "bad.example.com"}}, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("invalid definition: %v", err)
	}

	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("default")
	w, err := dyn.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	obj := widget("small", map[string]any{"size": int64(2), "bogus": true})
	created, err := dyn.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := unstructured.NestedBool(created.Object, "spec", "bogus"); found {
		t.Errorf("unknown field kept: %v", created.Object)
	}
	if color, _, _ := unstructured.NestedString(created.Object, "spec", "color"); color != "red" {
		t.Errorf("default not applied: %v", created.Object)
	}
	select {
	case ev := <-w.ResultChan():
		if ev.Type != "ADDED" {
			t.Errorf("watch event %v", ev.Type)
		}
	case <-time.After(5 * time.Second):
		t.Error("no watch event")
	}
	if _, err := dyn.Create(ctx, widget("strict", map[string]any{"size": int64(2), "bogus": true}), metav1.CreateOptions{FieldValidation: "Strict"}); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.bogus"`) {
		t.Errorf("strict: %v", err)
	}

	_, err = dyn.Create(ctx, widget("bad", map[string]any{"size": int64(0), "color": "green"}), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("invalid object: %v", err)
	}
	causes := map[string]bool{}
	for _, cause := range err.(apierrors.APIStatus).Status().Details.Causes {
		causes[cause.Field] = true
	}
	if !causes["spec.size"] || !causes["spec.color"] {
		t.Errorf("causes: %v", err)
	}

	patched, err := dyn.Patch(ctx, "small", types.MergePatchType, []byte(`{"spec":{"size":5},"status":{"phase":"Ready"}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if size, _, _ := unstructured.NestedInt64(patched.Object, "spec", "size"); size != 5 || patched.GetGeneration() != 2 {
		t.Errorf("patched: %v", patched.Object)
	}
	if _, found, _ := unstructured.NestedString(patched.Object, "status", "phase"); found {
		t.Errorf("status written through the main resource: %v", patched.Object)
	}
	if _, err := dyn.Patch(ctx, "small", types.StrategicMergePatchType, []byte(`{"spec":{"size":6}}`), metav1.PatchOptions{}); !apierrors.IsUnsupportedMediaType(err) {
		t.Errorf("strategic merge patch: %v", err)
	}
	st, err := dyn.Patch(ctx, "small", types.MergePatchType, []byte(`{"spec":{"size":9},"status":{"phase":"Ready","replicas":1,"selector":"app=w"}}`), metav1.PatchOptions{}, "status")
	if err != nil {
		t.Fatal(err)
	}
	if phase, _, _ := unstructured.NestedString(st.Object, "status", "phase"); phase != "Ready" {
		t.Errorf("status: %v", st.Object)
	}
	if size, _, _ := unstructured.NestedInt64(st.Object, "spec", "size"); size != 5 {
		t.Errorf("spec written through status: %v", st.Object)
	}
	if _, err := dyn.Patch(ctx, "small", types.MergePatchType, []byte(`{"spec":{"size":7}}`), metav1.PatchOptions{DryRun: []string{"All"}}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := dyn.Get(ctx, "small", metav1.GetOptions{}); cur == nil || cur.Object["spec"].(map[string]any)["size"] != int64(5) {
		t.Errorf("dry run stored: %v", cur)
	}

	if out := k.must("scale", "widgets/small", "--replicas=3"); !strings.Contains(out, "scaled") {
		t.Errorf("scale: %s", out)
	}
	scale := k.must("get", "--raw", "/apis/example.com/v1/namespaces/default/widgets/small/scale")
	if !strings.Contains(scale, `"replicas":3`) || !strings.Contains(scale, `"selector":"app=w"`) {
		t.Errorf("scale: %s", scale)
	}

	out := k.must("get", "wd")
	if !strings.Contains(out, "SIZE") || !strings.Contains(out, "COLOR") || !strings.Contains(out, "small") || !strings.Contains(out, "red") {
		t.Errorf("kubectl get wd:\n%s", out)
	}
	if out := k.must("get", "widgets", "--field-selector", "metadata.name=small", "-o", "name"); strings.TrimSpace(out) != "widget.example.com/small" {
		t.Errorf("field selector: %q", out)
	}
	if out := k.must("api-resources", "--api-group", "example.com"); !strings.Contains(out, "widgets") {
		t.Errorf("api-resources: %s", out)
	}
	if out := k.must("get", "crd"); !strings.Contains(out, "widgets.example.com") {
		t.Errorf("kubectl get crd: %s", out)
	}

	if err := ext.ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, "widgets.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.com", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("definition still there: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := dyn.List(ctx, metav1.ListOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("list after deletion: %v", err)
	}
	// The objects went with the definition: a new one starts empty.
	createWidgetCRD(t, c, k)
	if list, err := dyn.List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) != 0 {
		t.Errorf("objects after re-creation: %v %v", list, err)
	}
}

func TestCustomResourcesSurviveRestart(t *testing.T) {
	cfg := server.Config{DataDir: t.TempDir(), EtcdClientURL: "http://" + testcluster.FreeAddr(t), EtcdPeerURL: "http://" + testcluster.FreeAddr(t)}
	c := testcluster.StartWith(t, cfg)
	createWidgetCRD(t, c, newKubectl(t, c))
	dyn := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("default")
	if _, err := dyn.Create(context.Background(), widget("kept", map[string]any{"size": int64(3)}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Stop(t)

	c = testcluster.StartWith(t, cfg)
	dyn = dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("default")
	got, err := dyn.Get(context.Background(), "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if color, _, _ := unstructured.NestedString(got.Object, "spec", "color"); color != "red" {
		t.Errorf("after restart: %v", got.Object)
	}
}
