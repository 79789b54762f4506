package authn

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// TokenFile authenticates static bearer tokens read from a CSV file in
// Kubernetes' --token-auth-file format: token,user,uid[,"group1,group2"].
type TokenFile map[string]*User

// LoadTokenFile reads a token file.
func LoadTokenFile(path string) (TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseTokenFile(f, path)
}

// ParseTokenFile parses token file content; name is used in errors.
func ParseTokenFile(r io.Reader, name string) (TokenFile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	tokens := TokenFile{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return tokens, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) < 3 || rec[0] == "" || rec[1] == "" {
			return nil, fmt.Errorf("%s line %d: want token,user,uid[,groups]", name, line)
		}
		u := &User{Name: rec[1], UID: rec[2]}
		if len(rec) > 3 {
			for _, g := range strings.Split(rec[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					u.Groups = append(u.Groups, g)
				}
			}
		}
		if _, dup := tokens[rec[0]]; dup {
			return nil, fmt.Errorf("%s line %d: duplicate token", name, line)
		}
		tokens[rec[0]] = u
	}
}

// AuthenticateRequest implements Authenticator. A bearer token that is
// not in the file is left to the next authenticator.
func (t TokenFile) AuthenticateRequest(r *http.Request) (*User, bool, error) {
	return t.AuthenticateToken(r.Context(), BearerToken(r))
}

// AuthenticateToken implements TokenAuthenticator.
func (t TokenFile) AuthenticateToken(_ context.Context, tok string) (*User, bool, error) {
	u, ok := t[tok]
	if tok == "" || !ok {
		return nil, false, nil
	}
	cp := *u
	cp.Groups = append([]string(nil), u.Groups...)
	return &cp, true, nil
}
