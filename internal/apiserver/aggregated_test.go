package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry"
)

func getAggregated(t *testing.T, a *aggregatedDiscovery, root, accept, etag string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/"+root, nil)
	r.Header.Set("Accept", accept)
	if etag != "" {
		r.Header.Set("If-None-Match", etag)
	}
	w := httptest.NewRecorder()
	if !a.serve(w, r, root) {
		t.Fatalf("GET /%s with Accept %q not served", root, accept)
	}
	return w
}

func findResource(list *apidiscoveryv2.APIGroupDiscoveryList, group, resource string) *apidiscoveryv2.APIResourceDiscovery {
	for _, g := range list.Items {
		for _, v := range g.Versions {
			for i, r := range v.Resources {
				if g.Name == group && r.Resource == resource {
					return &v.Resources[i]
				}
			}
		}
	}
	return nil
}

func TestAggregatedDiscoveryDocuments(t *testing.T) {
	core, groups := aggregatedLists(registry.Builtin())
	if len(core.Items) != 1 || core.Items[0].Name != "" || core.Items[0].Versions[0].Version != "v1" {
		t.Fatalf("core document: %+v", core.Items)
	}
	allVerbs := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	tests := []struct {
		group, resource string
		want            apidiscoveryv2.APIResourceDiscovery
	}{
		{"", "namespaces", apidiscoveryv2.APIResourceDiscovery{
			Resource: "namespaces", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Namespace"}, Scope: apidiscoveryv2.ScopeCluster,
			SingularResource: "namespace", Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}, ShortNames: []string{"ns"},
			Subresources: []apidiscoveryv2.APISubresourceDiscovery{
				{Subresource: "finalize", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Namespace"}, Verbs: []string{"update"}},
				{Subresource: "status", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Namespace"}, Verbs: []string{"get", "patch", "update"}},
			},
		}},
		{"", "pods", apidiscoveryv2.APIResourceDiscovery{
			Resource: "pods", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Scope: apidiscoveryv2.ScopeNamespace,
			SingularResource: "pod", Verbs: allVerbs, ShortNames: []string{"po"}, Categories: []string{"all"},
			Subresources: []apidiscoveryv2.APISubresourceDiscovery{
				{Subresource: "attach", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "PodAttachOptions"}, Verbs: []string{"create", "get"}},
				{Subresource: "binding", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Binding"}, Verbs: []string{"create"}},
				{Subresource: "eviction", ResponseKind: &metav1.GroupVersionKind{Group: "policy", Version: "v1", Kind: "Eviction"}, Verbs: []string{"create"}},
				{Subresource: "exec", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"}, Verbs: []string{"create", "get"}},
				{Subresource: "log", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Verbs: []string{"get"}},
				{Subresource: "portforward", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "PodPortForwardOptions"}, Verbs: []string{"create", "get"}},
				{Subresource: "status", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Verbs: []string{"get", "patch", "update"}},
			},
		}},
		{"", "serviceaccounts", apidiscoveryv2.APIResourceDiscovery{
			Resource: "serviceaccounts", ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}, Scope: apidiscoveryv2.ScopeNamespace,
			SingularResource: "serviceaccount", Verbs: allVerbs, ShortNames: []string{"sa"},
			Subresources: []apidiscoveryv2.APISubresourceDiscovery{
				{Subresource: "token", ResponseKind: &metav1.GroupVersionKind{Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest"}, Verbs: []string{"create"}},
			},
		}},
		{"apps", "deployments", apidiscoveryv2.APIResourceDiscovery{
			Resource: "deployments", ResponseKind: &metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Scope: apidiscoveryv2.ScopeNamespace,
			SingularResource: "deployment", Verbs: allVerbs, ShortNames: []string{"deploy"}, Categories: []string{"all"},
			Subresources: []apidiscoveryv2.APISubresourceDiscovery{
				{Subresource: "scale", ResponseKind: &metav1.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}, Verbs: []string{"get", "patch", "update"}},
				{Subresource: "status", ResponseKind: &metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Verbs: []string{"get", "patch", "update"}},
			},
		}},
		{"events.k8s.io", "events", apidiscoveryv2.APIResourceDiscovery{
			Resource: "events", ResponseKind: &metav1.GroupVersionKind{Group: "events.k8s.io", Version: "v1", Kind: "Event"}, Scope: apidiscoveryv2.ScopeNamespace,
			SingularResource: "event", Verbs: allVerbs, ShortNames: []string{"ev"},
		}},
	}
	for _, tt := range tests {
		list := groups
		if tt.group == "" {
			list = core
		}
		got := findResource(list, tt.group, tt.resource)
		if got == nil {
			t.Errorf("%s/%s missing", tt.group, tt.resource)
			continue
		}
		if diff := cmp.Diff(tt.want, *got); diff != "" {
			t.Errorf("%s/%s (-want +got):\n%s", tt.group, tt.resource, diff)
		}
	}
}

func TestAggregatedDiscoveryNegotiation(t *testing.T) {
	a := newAggregatedDiscovery(registry.Builtin(), nil)
	for _, accept := range []string{"", "application/json", "application/json;g=meta.k8s.io;v=v1;as=Table", "application/json;g=apidiscovery.k8s.io;v=v1;as=APIGroupDiscoveryList"} {
		r := httptest.NewRequest(http.MethodGet, "/apis", nil)
		r.Header.Set("Accept", accept)
		if a.serve(httptest.NewRecorder(), r, "apis") {
			t.Errorf("Accept %q served the aggregated form", accept)
		}
	}
	for _, version := range []string{"v2", "v2beta1"} {
		// client-go's order: protobuf first, then JSON.
		accept := "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList," +
			"application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList,application/json"
		w := getAggregated(t, a, "apis", accept, "")
		if got, want := w.Header().Get("Content-Type"), "application/json;g=apidiscovery.k8s.io;v="+version+";as=APIGroupDiscoveryList"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
		if w.Header().Get("Vary") != "Accept" {
			t.Errorf("Vary = %q", w.Header().Get("Vary"))
		}
		var list metav1.TypeMeta
		if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
			t.Fatal(err)
		}
		if list.APIVersion != "apidiscovery.k8s.io/"+version || list.Kind != "APIGroupDiscoveryList" {
			t.Errorf("served %s", list)
		}
		etag := w.Header().Get("ETag")
		if w := getAggregated(t, a, "apis", accept, etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: %d with %d bytes", etag, w.Code, w.Body.Len())
		}
	}
	if a.docs[aggregatedKey{"api", "v2"}].etag == a.docs[aggregatedKey{"apis", "v2"}].etag {
		t.Error("/api and /apis share an ETag")
	}
}
