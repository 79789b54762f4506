package openapi

import (
	"encoding/json"
	"net/http"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
)

func widgetCustom(props map[string]apiextensionsv1.JSONSchemaProps) Custom {
	return Custom{
		Resource: registry.Resource{
			GroupVersionResource: schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"},
			Kind:                 "Widget", Namespaced: true,
		},
		Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"spec": {Type: "object", Properties: props},
		}},
	}
}

func customIndex(t *testing.T, h *Handler) map[string]string {
	t.Helper()
	var idx index
	if err := json.Unmarshal(serve(t, h, "/openapi/v3").Body.Bytes(), &idx); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range idx.Paths {
		out[k] = v.ServerRelativeURL
	}
	return out
}

func TestCustomResourceDocuments(t *testing.T) {
	h := New(registry.Builtin())
	const key = "apis/example.com/v1"
	if _, ok := customIndex(t, h)[key]; ok {
		t.Fatal("custom group-version listed before any definition")
	}
	coreBefore := customIndex(t, h)["api/v1"]

	h.SetCustom([]Custom{widgetCustom(map[string]apiextensionsv1.JSONSchemaProps{"size": {Type: "integer", Description: "how big"}})})
	idx := customIndex(t, h)
	first := idx[key]
	if first == "" {
		t.Fatalf("index after SetCustom lacks %s: %v", key, idx)
	}
	if idx["api/v1"] != coreBefore {
		t.Errorf("built-in document changed: %s → %s", coreBefore, idx["api/v1"])
	}
	rec := serve(t, h, first, "Accept", "application/json")
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", first, rec.Code, rec.Body)
	}
	checkRefs(t, key, rec.Body.Bytes(), v3Ref, func(m map[string]any) map[string]any {
		c, _ := m["components"].(map[string]any)
		s, _ := c["schemas"].(map[string]any)
		return s
	})
	var v3 struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Properties map[string]struct{ Description string } `json:"properties"`
				} `json:"properties"`
				GVK []map[string]string `json:"x-kubernetes-group-version-kind"`
			} `json:"schemas"`
		} `json:"components"`
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v3); err != nil {
		t.Fatal(err)
	}
	w := v3.Components.Schemas["com.example.v1.Widget"]
	if w.Properties["spec"].Properties["size"].Description != "how big" || len(w.GVK) != 1 || w.GVK[0]["kind"] != "Widget" {
		t.Errorf("Widget model: %+v", w)
	}
	if _, ok := v3.Components.Schemas["com.example.v1.WidgetList"]; !ok {
		t.Error("no WidgetList model")
	}
	if _, ok := v3.Paths["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]; !ok {
		t.Errorf("paths: %v", v3.Paths)
	}

	v2 := serve(t, h, "/openapi/v2", "Accept", "application/json").Body.Bytes()
	var sw struct {
		Definitions map[string]struct {
			GVK []map[string]string `json:"x-kubernetes-group-version-kind"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(v2, &sw); err != nil {
		t.Fatal(err)
	}
	if d := sw.Definitions["com.example.v1.Widget"]; len(d.GVK) != 1 || d.GVK[0]["group"] != "example.com" {
		t.Errorf("v2 Widget definition: %+v", d)
	}

	h.SetCustom([]Custom{widgetCustom(map[string]apiextensionsv1.JSONSchemaProps{"size": {Type: "integer", Description: "how large"}})})
	if second := customIndex(t, h)[key]; second == "" || second == first {
		t.Errorf("hash did not change with the schema: %s → %s", first, second)
	}
	if rec := serve(t, h, first); rec.Code != http.StatusMovedPermanently {
		t.Errorf("old hash: %d, want a redirect to the new one", rec.Code)
	}

	h.SetCustom(nil)
	if _, ok := customIndex(t, h)[key]; ok {
		t.Error("custom group-version still listed after its definition went")
	}
	if rec := serve(t, h, "/openapi/v3/"+key); rec.Code != http.StatusNotFound {
		t.Errorf("removed document: %d", rec.Code)
	}
}
