// Package authn identifies the user behind an HTTP request.
package authn

import "net/http"

// User is an authenticated identity, as Kubernetes' user.Info describes it.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// Authenticator identifies the user of a request. ok is false when the
// request carries no credential this authenticator understands; err is set
// when it carries one that is invalid (which ends the chain with 401).
type Authenticator interface {
	AuthenticateRequest(r *http.Request) (u *User, ok bool, err error)
}
