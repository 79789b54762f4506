package aggregator

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

func ptr[T any](v T) *T { return &v }

func TestReadyAddressesOnTheNamedPort(t *testing.T) {
	slices := []discoveryv1.EndpointSlice{{
		Ports: []discoveryv1.EndpointPort{{Name: ptr("https"), Port: ptr(int32(6443))}, {Name: ptr("metrics"), Port: ptr(int32(9090))}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
			{Addresses: []string{"10.0.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
			{Addresses: []string{"fd00::3"}},
		},
	}}
	want := []string{"10.0.0.1:6443", "[fd00::3]:6443"}
	if diff := cmp.Diff(want, readyAddresses(slices, "https")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := readyAddresses(slices, ""); len(got) != 0 {
		t.Errorf("unnamed port matched %v", got)
	}
}

func TestSetIdentityReplacesClientCredentials(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Bearer secret")
	h.Set("Impersonate-User", "root")
	h.Set("X-Remote-User", "forged")
	h.Set("X-Remote-Extra-Scopes", "forged")
	h.Set("Accept", "application/json")
	setIdentity(h, &authn.User{Name: "alice", Groups: []string{"dev", "system:authenticated"}, Extra: map[string][]string{"acme.com/team": {"blue"}}})
	want := http.Header{
		"Accept":                         {"application/json"},
		"X-Remote-User":                  {"alice"},
		"X-Remote-Group":                 {"dev", "system:authenticated"},
		"X-Remote-Extra-Acme.com%2fteam": {"blue"},
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAuthenticationConfigMapNamesTheFrontProxy(t *testing.T) {
	cm := AuthenticationConfigMap([]byte("client-ca"), []byte("front-proxy-ca"))
	if cm.Namespace != "kube-system" || cm.Name != "extension-apiserver-authentication" {
		t.Errorf("configmap %s/%s", cm.Namespace, cm.Name)
	}
	if cm.Data["client-ca-file"] != "client-ca" || cm.Data["requestheader-client-ca-file"] != "front-proxy-ca" {
		t.Errorf("CA files: %v", cm.Data)
	}
	for key, want := range map[string]string{
		"requestheader-allowed-names": "front-proxy-client", "requestheader-username-headers": "X-Remote-User",
		"requestheader-group-headers": "X-Remote-Group", "requestheader-extra-headers-prefix": "X-Remote-Extra-",
	} {
		var got []string
		if err := json.Unmarshal([]byte(cm.Data[key]), &got); err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want [%q]", key, cm.Data[key], want)
		}
	}
}
