package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

// fakeAggregator routes its group/versions to a handler that answers 299.
type fakeAggregator struct {
	gen      uint64
	versions []RemoteVersion
}

func (f *fakeAggregator) Route(gv schema.GroupVersion) (http.Handler, bool) {
	for _, v := range f.versions {
		if v.GroupVersion == gv {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				u := authn.UserFrom(r.Context())
				w.Header().Set("X-User", u.Name)
				w.WriteHeader(299)
			}), true
		}
	}
	return nil, false
}

func (f *fakeAggregator) Remote() (uint64, []RemoteVersion) { return f.gen, f.versions }

var wardleGV = schema.GroupVersion{Group: "wardle.example.com", Version: "v1alpha1"}

func flunders() *metav1.APIResourceList {
	return &metav1.APIResourceList{GroupVersion: wardleGV.String(), APIResources: []metav1.APIResource{
		{Name: "flunders", Namespaced: true, Kind: "Flunder", Verbs: metav1.Verbs{"get"}},
		{Name: "flunders/status", Namespaced: true, Kind: "Flunder", Verbs: metav1.Verbs{"get"}},
	}}
}

func serveAs(s *Server, path, accept string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Accept", accept)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestRemoteGroupVersionsAreProxiedBeforeLocalOnes(t *testing.T) {
	agg := &fakeAggregator{gen: 1, versions: []RemoteVersion{{GroupVersion: wardleGV}, {GroupVersion: metricsGV}}}
	s := New(Config{Aggregator: agg})
	for _, path := range []string{"/apis/wardle.example.com/v1alpha1/namespaces/a/flunders", "/apis/wardle.example.com/v1alpha1", "/apis/metrics.k8s.io/v1beta1/nodes"} {
		if w := serveAs(s, path, "application/json"); w.Code != 299 || w.Header().Get("X-User") != "system:anonymous" {
			t.Errorf("GET %s: %d, user %q; want the extension server as system:anonymous", path, w.Code, w.Header().Get("X-User"))
		}
	}
	if w := serveAs(s, "/apis/wardle.example.com", "application/json"); w.Code != http.StatusOK {
		t.Errorf("GET /apis/wardle.example.com: %d, want the group document", w.Code)
	}
}

func TestDiscoveryFollowsRemoteVersions(t *testing.T) {
	agg := &fakeAggregator{gen: 1, versions: []RemoteVersion{{GroupVersion: wardleGV}}}
	s := New(Config{Aggregator: agg})
	groups := func() *metav1.APIGroupList {
		var l metav1.APIGroupList
		if err := json.Unmarshal(serveAs(s, "/apis", "application/json").Body.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		return &l
	}
	aggregated := func() *apidiscoveryv2.APIGroupDiscoveryList {
		var l apidiscoveryv2.APIGroupDiscoveryList
		if err := json.Unmarshal(serveAs(s, "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").Body.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		return &l
	}
	if !hasGroup(groups(), "wardle.example.com") {
		t.Error("/apis lacks a remote group not yet checked")
	}
	if findResource(aggregated(), "wardle.example.com", "flunders") != nil {
		t.Error("aggregated discovery lists resources before the server answered")
	}

	agg.gen, agg.versions = 2, []RemoteVersion{{GroupVersion: wardleGV, Resources: flunders(), Stale: true}}
	r := findResource(aggregated(), "wardle.example.com", "flunders")
	if r == nil || len(r.Subresources) != 1 || r.Subresources[0].Subresource != "status" || r.Scope != apidiscoveryv2.ScopeNamespace {
		t.Fatalf("aggregated flunders = %+v", r)
	}
	for _, g := range aggregated().Items {
		if g.Name == "wardle.example.com" && g.Versions[0].Freshness != apidiscoveryv2.DiscoveryFreshnessStale {
			t.Errorf("freshness = %q, want Stale", g.Versions[0].Freshness)
		}
	}

	agg.gen, agg.versions = 3, nil
	if hasGroup(groups(), "wardle.example.com") {
		t.Error("/apis keeps a group whose APIService is gone")
	}
}

func hasGroup(l *metav1.APIGroupList, name string) bool {
	for _, g := range l.Groups {
		if g.Name == name {
			return true
		}
	}
	return false
}
