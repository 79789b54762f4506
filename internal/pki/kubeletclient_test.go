package pki

import (
	"crypto/x509"
	"slices"
	"testing"
)

func TestKubeletClientCert(t *testing.T) {
	dir := t.TempDir()
	b, err := Ensure(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := b.KubeletClientCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Subject.CommonName != KubeletClientUser || !slices.Equal(leaf.Subject.Organization, []string{AdminGroup}) {
		t.Errorf("subject = %v", leaf.Subject)
	}
	roots := x509.NewCertPool()
	roots.AddCert(b.CACert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("not a client certificate of the cluster CA: %v", err)
	}
	again, err := b.KubeletClientCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Certificate[0], cert.Certificate[0]) {
		t.Error("a second call issued a new certificate instead of keeping the stored one")
	}
}
