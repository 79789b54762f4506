package pki

import (
	"bytes"
	"crypto/x509"
	"testing"
)

func TestFrontProxyClientSignedBySeparateCA(t *testing.T) {
	dir := t.TempDir()
	b, err := Ensure(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b.FrontProxyCACertPEM, b.CACertPEM) {
		t.Fatal("front-proxy CA is the cluster CA")
	}
	client, err := x509.ParseCertificate(b.FrontProxyClientCert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if client.Subject.CommonName != FrontProxyClientName {
		t.Errorf("CN = %q", client.Subject.CommonName)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b.FrontProxyCACertPEM)
	if _, err := client.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client cert does not verify against the front-proxy CA: %v", err)
	}
	clusterPool := x509.NewCertPool()
	clusterPool.AppendCertsFromPEM(b.CACertPEM)
	if _, err := client.Verify(x509.VerifyOptions{Roots: clusterPool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("front-proxy client cert verifies against the cluster CA")
	}
	again, err := Ensure(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.FrontProxyCACertPEM, b.FrontProxyCACertPEM) {
		t.Error("front-proxy CA changed on restart")
	}
}
