package serviceaccount

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// objects is a lookup over a fixed set of live objects.
type objects map[string]types.UID

func (o objects) lookup(_ context.Context, kind, ns, name string) (types.UID, error) {
	uid, ok := o[kind+"/"+ns+"/"+name]
	if !ok {
		return "", errors.New("not found")
	}
	return uid, nil
}

func newTokens(t *testing.T, live objects) *Tokens {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := New(DefaultIssuer, key, live.lookup)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func bearer(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

func TestIssueAndAuthenticate(t *testing.T) {
	live := objects{"ServiceAccount/ns1/builder": "sa-uid", "Pod/ns1/web": "pod-uid"}
	tk := newTokens(t, live)
	req := Request{
		Namespace: "ns1", ServiceAccount: Ref{Name: "builder", UID: "sa-uid"},
		Bound: &Ref{Kind: "Pod", Name: "web", UID: "pod-uid"}, Audiences: []string{DefaultIssuer}, Lifetime: time.Hour,
	}
	tok, exp, err := tk.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("expiry in %v, want 1h", d)
	}
	u, ok, err := tk.AuthenticateRequest(bearer(tok))
	if !ok || err != nil {
		t.Fatalf("authenticate: %v %v", ok, err)
	}
	if u.Name != "system:serviceaccount:ns1:builder" || u.UID != "sa-uid" || u.Extra["authentication.kubernetes.io/pod-name"][0] != "web" {
		t.Fatalf("user = %+v", u)
	}
	if strings.Join(u.Groups, ",") != "system:serviceaccounts,system:serviceaccounts:ns1" {
		t.Fatalf("groups = %v", u.Groups)
	}

	// Deleting the bound pod ends the token.
	delete(live, "Pod/ns1/web")
	if _, ok, err := tk.AuthenticateRequest(bearer(tok)); ok || err == nil {
		t.Fatal("token of a deleted pod still authenticates")
	}
	// A recreated pod with a new UID does not revive it.
	live["Pod/ns1/web"] = "other-uid"
	if _, ok, _ := tk.AuthenticateRequest(bearer(tok)); ok {
		t.Fatal("token authenticates against a recreated pod")
	}
}

func TestRejectedTokens(t *testing.T) {
	live := objects{"ServiceAccount/ns1/sa": "u1"}
	tk := newTokens(t, live)
	base := Request{Namespace: "ns1", ServiceAccount: Ref{Name: "sa", UID: "u1"}, Audiences: []string{DefaultIssuer}, Lifetime: time.Hour}

	expired := base
	tk.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expiredTok, _, _ := tk.Issue(expired)
	tk.now = time.Now

	otherAud := base
	otherAud.Audiences = []string{"vault"}
	otherAudTok, _, _ := tk.Issue(otherAud)

	foreign := newTokens(t, live)
	foreignTok, _, _ := foreign.Issue(base)

	good, _, _ := tk.Issue(base)
	for name, tok := range map[string]string{"expired": expiredTok, "audience": otherAudTok, "foreign key": foreignTok, "tampered": good[:len(good)-4] + "AAAA"} {
		if _, ok, _ := tk.AuthenticateRequest(bearer(tok)); ok {
			t.Errorf("%s token authenticated", name)
		}
	}
	if _, ok, err := tk.AuthenticateRequest(bearer("not-a-jwt")); ok || err != nil {
		t.Errorf("non-JWT bearer must be left to others: %v %v", ok, err)
	}
}

func TestDiscoveryDocuments(t *testing.T) {
	tk := newTokens(t, objects{})
	h := tk.DiscoveryHandlers()
	rec := httptest.NewRecorder()
	h[JWKSPath].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, JWKSPath, nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"kid":"`+tk.kid+`"`) || !strings.Contains(rec.Body.String(), `"alg":"RS256"`) {
		t.Fatalf("jwks: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h[ConfigPath].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ConfigPath, nil))
	if !strings.Contains(rec.Body.String(), `"jwks_uri":"`+DefaultIssuer+JWKSPath+`"`) {
		t.Fatalf("openid-configuration: %s", rec.Body)
	}
}
