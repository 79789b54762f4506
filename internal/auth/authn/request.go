package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Groups every authenticated user belongs to, as in Kubernetes.
const AllAuthenticated = "system:authenticated"

// Union tries each authenticator in turn; the first that recognises a
// credential decides. Every user it returns is in system:authenticated.
type Union []Authenticator

// AuthenticateRequest implements Authenticator.
func (u Union) AuthenticateRequest(r *http.Request) (*User, bool, error) {
	var errs []error
	for _, a := range u {
		user, ok, err := a.AuthenticateRequest(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			if !slices.Contains(user.Groups, AllAuthenticated) {
				user.Groups = append(user.Groups, AllAuthenticated)
			}
			return user, true, nil
		}
	}
	return nil, false, errors.Join(errs...)
}

// BearerToken returns the token of an "Authorization: Bearer" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// ClientCert authenticates TLS client certificates signed by Roots: the
// common name is the user, the organizations its groups.
type ClientCert struct {
	Roots *x509.CertPool
	// verified, if set, spares verifying a chain again while it is valid.
	verified *verifiedChains
}

// NewClientCert returns a ClientCert that remembers verified chains.
func NewClientCert(roots *x509.CertPool) ClientCert {
	return ClientCert{Roots: roots, verified: newVerifiedChains()}
}

// AuthenticateRequest implements Authenticator.
func (c ClientCert) AuthenticateRequest(r *http.Request) (*User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	certs := r.TLS.PeerCertificates
	if err := c.verify(certs); err != nil {
		return nil, false, err
	}
	return &User{Name: certs[0].Subject.CommonName, Groups: slices.Clone(certs[0].Subject.Organization)}, true, nil
}

func (c ClientCert) verify(certs []*x509.Certificate) error {
	var key [sha256.Size]byte
	now := time.Now()
	if c.verified != nil {
		key = chainKey(certs)
		if c.verified.verified(key, now) {
			return nil
		}
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{Roots: c.Roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return err
	}
	if c.verified != nil {
		c.verified.add(key, chains[0])
	}
	return nil
}
