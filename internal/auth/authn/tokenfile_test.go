package authn

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestTokenFile(t *testing.T) {
	tf, err := ParseTokenFile(strings.NewReader("# comment\nsecret1,alice,u1,\"dev,ops\"\nsecret2,bob,u2\n"), "tokens.csv")
	if err != nil {
		t.Fatal(err)
	}
	chain := Union{tf}
	for _, tc := range []struct {
		header string
		user   string
		groups []string
	}{
		{"Bearer secret1", "alice", []string{"dev", "ops", AllAuthenticated}},
		{"bearer secret2", "bob", []string{AllAuthenticated}},
		{"Bearer nope", "", nil},
		{"Basic secret1", "", nil},
		{"", "", nil},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		u, ok, err := chain.AuthenticateRequest(r)
		if tc.user == "" {
			if ok || err != nil {
				t.Errorf("%q: want unauthenticated, got %v %v", tc.header, u, err)
			}
			continue
		}
		if !ok || u.Name != tc.user || !slices.Equal(u.Groups, tc.groups) {
			t.Errorf("%q: got %+v %v %v", tc.header, u, ok, err)
		}
	}
	// Adding system:authenticated must not leak into the file's users.
	if len(tf["secret2"].Groups) != 0 {
		t.Fatalf("token file entry changed: %v", tf["secret2"].Groups)
	}
}

func TestTokenFileErrors(t *testing.T) {
	for _, in := range []string{"onlytoken\n", "t,u,1\nt,v,2\n", ",user,uid\n"} {
		if _, err := ParseTokenFile(strings.NewReader(in), "f"); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}
