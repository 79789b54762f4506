package apiserver

import (
	"net/http/httptest"
	"testing"
)

func TestParseRequestInfo(t *testing.T) {
	cases := []struct {
		method, url string
		want        requestInfo
	}{
		{"GET", "/api/v1/namespaces", requestInfo{Version: "v1", Resource: "namespaces", Verb: "list"}},
		{"GET", "/api/v1/namespaces/default", requestInfo{Version: "v1", Resource: "namespaces", Name: "default", Verb: "get"}},
		{"PUT", "/api/v1/namespaces/x/finalize", requestInfo{Version: "v1", Resource: "namespaces", Name: "x", Subresource: "finalize", Verb: "update"}},
		{"GET", "/api/v1/namespaces/default/pods?watch=true", requestInfo{Version: "v1", Namespace: "default", Resource: "pods", Verb: "watch"}},
		{"POST", "/api/v1/namespaces/default/pods/p/binding", requestInfo{Version: "v1", Namespace: "default", Resource: "pods", Name: "p", Subresource: "binding", Verb: "create"}},
		{"DELETE", "/apis/apps/v1/namespaces/a/deployments", requestInfo{Group: "apps", Version: "v1", Namespace: "a", Resource: "deployments", Verb: "deletecollection"}},
		{"PATCH", "/apis/apps/v1/namespaces/a/deployments/d/scale", requestInfo{Group: "apps", Version: "v1", Namespace: "a", Resource: "deployments", Name: "d", Subresource: "scale", Verb: "patch"}},
		{"GET", "/api/v1/pods", requestInfo{Version: "v1", Resource: "pods", Verb: "list"}},
		{"GET", "/api/v1/nodes/n/proxy/healthz", requestInfo{Version: "v1", Resource: "nodes", Name: "n", Subresource: "proxy", Verb: "get"}},
		{"POST", "/api/v1/nodes/n/proxy", requestInfo{Version: "v1", Resource: "nodes", Name: "n", Subresource: "proxy", Verb: "create"}},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			got, ok := parseRequestInfo(httptest.NewRequest(tc.method, tc.url, nil))
			if !ok || *got != tc.want {
				t.Fatalf("got %+v (%v), want %+v", got, ok, tc.want)
			}
		})
	}
	for _, p := range []string{"/api", "/apis", "/apis/apps", "/healthz", "/api/v1"} {
		if _, ok := parseRequestInfo(httptest.NewRequest("GET", p, nil)); ok {
			t.Errorf("%s parsed as a resource", p)
		}
	}
}
