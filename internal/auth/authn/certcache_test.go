package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"testing"
	"time"
)

func makeCert(t *testing.T, cn string, notAfter time.Time, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, Organization: []string{"g"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// TestClientCertRemembersVerifiedChains: a verified chain is remembered
// until its certificates expire; a failed one never is.
func TestClientCertRemembersVerifiedChains(t *testing.T) {
	ca, caKey := makeCert(t, "ca", time.Now().Add(24*time.Hour), nil, nil)
	other, otherKey := makeCert(t, "other-ca", time.Now().Add(24*time.Hour), nil, nil)
	good, _ := makeCert(t, "alice", time.Now().Add(time.Hour), ca, caKey)
	expired, _ := makeCert(t, "bob", time.Now().Add(-time.Minute), ca, caKey)
	stranger, _ := makeCert(t, "eve", time.Now().Add(time.Hour), other, otherKey)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	a := NewClientCert(roots)
	for _, tc := range []struct {
		cert       *x509.Certificate
		wantUser   string
		remembered bool
	}{
		{good, "alice", true},
		{good, "alice", true}, // from the cache
		{expired, "", false},
		{stranger, "", false},
		{stranger, "", false},
	} {
		r := &http.Request{TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tc.cert}}}
		u, ok, err := a.AuthenticateRequest(r)
		if tc.wantUser == "" {
			if ok || err == nil {
				t.Errorf("%s: authenticated (%v) without error", tc.cert.Subject.CommonName, ok)
			}
		} else if !ok || err != nil || u.Name != tc.wantUser {
			t.Errorf("%s: got %v %v %v", tc.cert.Subject.CommonName, u, ok, err)
		}
		key := chainKey([]*x509.Certificate{tc.cert})
		if got := a.verified.verified(key, time.Now()); got != tc.remembered {
			t.Errorf("%s: remembered = %v, want %v", tc.cert.Subject.CommonName, got, tc.remembered)
		}
	}
	// Past the leaf's expiry the remembered chain no longer counts.
	if a.verified.verified(chainKey([]*x509.Certificate{good}), time.Now().Add(2*time.Hour)) {
		t.Error("remembered chain counted after the leaf expired")
	}
}
