package openapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/skiff-sh/skiff/internal/registry"
)

// handler is shared: documents are built once per handler.
var handler = New(registry.Builtin())

func serve(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type index struct {
	Paths map[string]struct {
		ServerRelativeURL string `json:"serverRelativeURL"`
	} `json:"paths"`
}

func getIndex(t *testing.T) index {
	t.Helper()
	rec := serve(t, handler, "/openapi/v3")
	if rec.Code != http.StatusOK {
		t.Fatalf("/openapi/v3: %d %s", rec.Code, rec.Body)
	}
	var idx index
	if err := json.Unmarshal(rec.Body.Bytes(), &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

func getV3(t *testing.T, key string) (*spec3.OpenAPI, []byte) {
	t.Helper()
	rec := serve(t, handler, getIndex(t).Paths[key].ServerRelativeURL, "Accept", "application/json")
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", key, rec.Code, rec.Body)
	}
	doc := &spec3.OpenAPI{}
	if err := json.Unmarshal(rec.Body.Bytes(), doc); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return doc, rec.Body.Bytes()
}

func TestIndexListsEveryGroupVersion(t *testing.T) {
	idx := getIndex(t)
	want := map[string]bool{}
	for _, r := range registry.Builtin() {
		want[gvPath(r.GroupVersion())] = true
	}
	for key := range want {
		e, ok := idx.Paths[key]
		if !ok {
			t.Errorf("index lacks %s", key)
			continue
		}
		if !strings.HasPrefix(e.ServerRelativeURL, "/openapi/v3/"+key+"?hash=") {
			t.Errorf("%s: serverRelativeURL %q", key, e.ServerRelativeURL)
		}
	}
	if len(idx.Paths) != len(want) {
		t.Errorf("index has %d entries, want %d: %v", len(idx.Paths), len(want), idx.Paths)
	}
	for _, key := range []string{"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/autoscaling/v2", "apis/rbac.authorization.k8s.io/v1", "apis/events.k8s.io/v1"} {
		if !want[key] {
			t.Errorf("%s is not served", key)
		}
	}
}

func hasGVK(ext spec.Extensions, group, version, kind string) bool {
	var one map[string]string
	if ext.GetObject(extGVK, &one) == nil && one["group"] == group && one["version"] == version && one["kind"] == kind {
		return true
	}
	var many []map[string]string
	if ext.GetObject(extGVK, &many) == nil {
		for _, g := range many {
			if g["group"] == group && g["version"] == version && g["kind"] == kind {
				return true
			}
		}
	}
	return false
}

func queryNames(op *spec3.Operation) map[string]bool {
	names := map[string]bool{}
	for _, prm := range op.Parameters {
		if prm.In == "query" {
			names[prm.Name] = true
		}
	}
	return names
}

func TestAppsV1Document(t *testing.T) {
	doc, _ := getV3(t, "apis/apps/v1")
	dep := doc.Components.Schemas["io.k8s.api.apps.v1.Deployment"]
	if dep == nil {
		t.Fatal("no io.k8s.api.apps.v1.Deployment schema")
	}
	if !hasGVK(dep.Extensions, "apps", "v1", "Deployment") {
		t.Errorf("Deployment schema extensions: %v", dep.Extensions)
	}
	if _, ok := dep.Properties["spec"]; !ok {
		t.Error("Deployment schema has no spec")
	}
	if doc.Components.Schemas["io.k8s.api.autoscaling.v1.Scale"] == nil {
		t.Error("no Scale schema for the scale subresource")
	}

	// What kubectl checks before it leaves validation to the server: a PATCH
	// for the kind that takes fieldValidation.
	found := false
	for path, p := range doc.Paths.Paths {
		if p.Patch == nil || !hasGVK(p.Patch.Extensions, "apps", "v1", "Deployment") {
			continue
		}
		found = true
		names := queryNames(p.Patch)
		for _, want := range []string{"fieldValidation", "dryRun", "fieldManager", "force"} {
			if !names[want] {
				t.Errorf("PATCH %s lacks %s", path, want)
			}
		}
		for _, mt := range patchMedia {
			if p.Patch.RequestBody == nil || p.Patch.RequestBody.Content[mt] == nil {
				t.Errorf("PATCH %s does not take %s", path, mt)
			}
		}
	}
	if !found {
		t.Fatal("no PATCH operation for apps/v1 Deployment")
	}

	p := doc.Paths.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
	if p == nil || p.Get == nil || p.Put == nil || p.Delete == nil {
		t.Fatalf("item path: %+v", p)
	}
	if p.Get.OperationId != "readAppsV1NamespacedDeployment" || p.Get.Extensions[extAction] != "get" {
		t.Errorf("read: %q %v", p.Get.OperationId, p.Get.Extensions)
	}
	coll := doc.Paths.Paths["/apis/apps/v1/namespaces/{namespace}/deployments"]
	if coll == nil || coll.Get.OperationId != "listAppsV1NamespacedDeployment" || coll.Post.OperationId != "createAppsV1NamespacedDeployment" || coll.Delete.Extensions[extAction] != "deletecollection" {
		t.Errorf("collection path: %+v", coll)
	}
	for _, op := range []*spec3.Operation{coll.Post, p.Put} {
		if !queryNames(op)["fieldValidation"] {
			t.Errorf("%s lacks fieldValidation", op.OperationId)
		}
	}
	if all := doc.Paths.Paths["/apis/apps/v1/deployments"]; all == nil || all.Get.OperationId != "listAppsV1DeploymentForAllNamespaces" {
		t.Errorf("all-namespaces list: %+v", all)
	}
	if s := doc.Paths.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]; s == nil || !hasGVK(s.Patch.Extensions, "autoscaling", "v1", "Scale") {
		t.Errorf("scale path: %+v", s)
	}
	if s := doc.Paths.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]; s == nil || s.Put.OperationId != "replaceAppsV1NamespacedDeploymentStatus" {
		t.Errorf("status path: %+v", s)
	}
}

func TestCoreV1Document(t *testing.T) {
	doc, _ := getV3(t, "api/v1")
	if p := doc.Paths.Paths["/api/v1/namespaces/{name}"]; p == nil || p.Get.OperationId != "readCoreV1Namespace" {
		t.Errorf("namespace path: %+v", p)
	}
	if p := doc.Paths.Paths["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"]; p == nil || p.Post == nil || !hasGVK(p.Post.Extensions, "authentication.k8s.io", "v1", "TokenRequest") {
		t.Errorf("token path: %+v", p)
	}
	for _, name := range []string{"io.k8s.api.policy.v1.Eviction", "io.k8s.api.core.v1.Binding", "io.k8s.api.authentication.v1.TokenRequest", "io.k8s.api.core.v1.PodList"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("no %s schema", name)
		}
	}
	// kubectl explain reads descriptions; a $ref with a description is
	// wrapped in allOf in OpenAPI 3.
	probe := doc.Components.Schemas["io.k8s.api.core.v1.Container"].Properties["livenessProbe"]
	if !strings.Contains(probe.Description, "liveness") || len(probe.AllOf) != 1 || probe.AllOf[0].Ref.String() != v3Ref+"io.k8s.api.core.v1.Probe" {
		t.Errorf("livenessProbe: %+v", probe)
	}
}

// Every $ref of every document must name a schema the document holds.
func TestNoDanglingReferences(t *testing.T) {
	for key := range getIndex(t).Paths {
		_, raw := getV3(t, key)
		checkRefs(t, key, raw, v3Ref, func(m map[string]interface{}) map[string]interface{} {
			c, _ := m["components"].(map[string]interface{})
			s, _ := c["schemas"].(map[string]interface{})
			return s
		})
	}
	rec := serve(t, handler, "/openapi/v2")
	checkRefs(t, "v2", rec.Body.Bytes(), v2Ref, func(m map[string]interface{}) map[string]interface{} {
		d, _ := m["definitions"].(map[string]interface{})
		return d
	})
}

func checkRefs(t *testing.T, name string, raw []byte, prefix string, defs func(map[string]interface{}) map[string]interface{}) {
	t.Helper()
	var doc map[string]interface{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	have := defs(doc)
	var walk func(v interface{})
	walk = func(v interface{}) {
		switch v := v.(type) {
		case map[string]interface{}:
			if ref, ok := v["$ref"].(string); ok {
				if !strings.HasPrefix(ref, prefix) || have[strings.TrimPrefix(ref, prefix)] == nil {
					t.Errorf("%s: dangling $ref %q", name, ref)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []interface{}:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
}

func TestV2(t *testing.T) {
	rec := serve(t, handler, "/openapi/v2", "Accept", "application/json")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi/v2: %d %v", rec.Code, rec.Header())
	}
	var sw spec.Swagger
	if err := json.Unmarshal(rec.Body.Bytes(), &sw); err != nil {
		t.Fatal(err)
	}
	pod, ok := sw.Definitions["io.k8s.api.core.v1.Pod"]
	if !ok || !hasGVK(pod.Extensions, "", "v1", "Pod") {
		t.Fatalf("v2 Pod definition: %v", pod.Extensions)
	}
	if _, ok := sw.Definitions["io.k8s.api.apps.v1.Deployment"]; !ok {
		t.Error("v2 lacks Deployment")
	}
	// Swagger 2.0 has no oneOf: IntOrString is its 2.0 form.
	if ios := sw.Definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]; len(ios.OneOf) != 0 || ios.Format != "int-or-string" {
		t.Errorf("v2 IntOrString: %+v", ios)
	}
	patch := sw.Paths.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].Patch
	if patch == nil || !hasGVK(patch.Extensions, "apps", "v1", "Deployment") {
		t.Fatalf("v2 PATCH: %+v", patch)
	}
	hasFV := false
	for _, p := range patch.Parameters {
		hasFV = hasFV || p.Name == "fieldValidation"
	}
	if !hasFV || len(patch.Consumes) != 4 {
		t.Errorf("v2 PATCH params %v consumes %v", patch.Parameters, patch.Consumes)
	}

	// What client-go's OpenAPISchema asks for and decodes.
	rec = serve(t, handler, "/openapi/v2", "Accept", mediaV2ProtoDeprecated)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != mediaV2Proto {
		t.Fatalf("/openapi/v2 protobuf: %d %v", rec.Code, rec.Header())
	}
	var pb openapi_v2.Document
	if err := proto.Unmarshal(rec.Body.Bytes(), &pb); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range pb.GetDefinitions().GetAdditionalProperties() {
		found = found || d.GetName() == "io.k8s.api.core.v1.Pod"
	}
	if !found {
		t.Error("protobuf document lacks io.k8s.api.core.v1.Pod")
	}

	if rec := serve(t, handler, "/openapi/v2", "Accept", "text/html"); rec.Code != http.StatusNotAcceptable {
		t.Errorf("Accept text/html: %d, want 406", rec.Code)
	}
	if rec := serve(t, handler, "/openapi/v2", "Accept", "application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf"); rec.Header().Get("Content-Type") != mediaV2Proto {
		t.Errorf("preferred protobuf, got %s", rec.Header().Get("Content-Type"))
	}
}

func TestCaching(t *testing.T) {
	u := getIndex(t).Paths["apis/batch/v1"].ServerRelativeURL
	rec := serve(t, handler, u)
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "public, immutable" || rec.Header().Get("Expires") == "" {
		t.Fatalf("%s: %d %v", u, rec.Code, rec.Header())
	}
	etag := rec.Header().Get("Etag")
	hash := strings.TrimPrefix(u, "/openapi/v3/apis/batch/v1?hash=")
	if etag != `"`+hash+`"` {
		t.Errorf("ETag %s, hash %s", etag, hash)
	}
	if rec := serve(t, handler, "/openapi/v3/apis/batch/v1", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", rec.Code)
	}
	if rec := serve(t, handler, "/openapi/v3/apis/batch/v1"); rec.Header().Get("Cache-Control") == "public, immutable" {
		t.Error("a document asked for without its hash must not be immutable")
	}
	rec = serve(t, handler, "/openapi/v3/apis/batch/v1?hash=0123")
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != u {
		t.Errorf("stale hash: %d %q, want 301 to %q", rec.Code, rec.Header().Get("Location"), u)
	}
	if rec := serve(t, handler, "/openapi/v3/apis/nosuch/v1"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown group-version: %d", rec.Code)
	}
	if rec := serve(t, handler, "/openapi/v4"); rec.Code != http.StatusNotFound {
		t.Errorf("/openapi/v4: %d", rec.Code)
	}
	// Documents do not depend on map order: another handler hashes alike.
	if other := New(registry.Builtin()); serve(t, other, "/openapi/v3").Body.String() != serve(t, handler, "/openapi/v3").Body.String() {
		t.Error("two handlers publish different hashes")
	}
}

func BenchmarkNew(b *testing.B) {
	rs := registry.Builtin()
	for i := 0; i < b.N; i++ {
		New(rs)
	}
}

// BenchmarkFirstIndex is the cost of the first /openapi/v3 request, which
// builds every group-version document.
func BenchmarkFirstIndex(b *testing.B) {
	rs := registry.Builtin()
	for i := 0; i < b.N; i++ {
		h := New(rs)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/v3", nil))
	}
}

func BenchmarkFirstV2Protobuf(b *testing.B) {
	rs := registry.Builtin()
	for i := 0; i < b.N; i++ {
		h := New(rs)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/openapi/v2", nil)
		req.Header.Set("Accept", mediaV2ProtoDeprecated)
		h.ServeHTTP(rec, req)
	}
}

// The first requests may arrive together; each document is built once.
func TestConcurrentFirstRequests(t *testing.T) {
	h := New(registry.Builtin())
	paths := []string{"/openapi/v3", "/openapi/v3/api/v1", "/openapi/v3/apis/apps/v1", "/openapi/v2"}
	done := make(chan string, 4*len(paths))
	for i := 0; i < 4; i++ {
		for _, p := range paths {
			go func(p string) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
				if rec.Code != http.StatusOK {
					done <- p + ": " + rec.Result().Status
					return
				}
				done <- ""
			}(p)
		}
	}
	for i := 0; i < 4*len(paths); i++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
