package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

func TestEnsureCreatesThenKeeps(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SANs: []string{"api.example.test", "192.0.2.10"}, ServiceIP: net.ParseIP("10.43.0.1")}
	first, err := Ensure(cfg)
	if err != nil {
		t.Fatal(err)
	}
	leaf := first.ServingCert.Leaf
	if leaf == nil {
		leaf, _ = x509.ParseCertificate(first.ServingCert.Certificate[0])
	}
	for _, name := range []string{"localhost", "kubernetes.default.svc", "api.example.test"} {
		if !slices.Contains(leaf.DNSNames, name) {
			t.Errorf("serving cert lacks DNS name %s: %v", name, leaf.DNSNames)
		}
	}
	for _, ip := range []string{"127.0.0.1", "10.43.0.1", "192.0.2.10"} {
		if !slices.ContainsFunc(leaf.IPAddresses, net.ParseIP(ip).Equal) {
			t.Errorf("serving cert lacks IP %s: %v", ip, leaf.IPAddresses)
		}
	}
	if err := leaf.CheckSignatureFrom(first.CACert); err != nil {
		t.Fatalf("serving cert not signed by CA: %v", err)
	}
	admin := parsePEM(t, first.AdminCertPEM)
	if admin.Subject.CommonName != AdminUser || !slices.Equal(admin.Subject.Organization, []string{AdminGroup}) {
		t.Fatalf("admin subject = %v", admin.Subject)
	}
	again, err := Ensure(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CACertPEM, again.CACertPEM) || !bytes.Equal(first.AdminCertPEM, again.AdminCertPEM) || !first.ServiceAccountKey.Equal(again.ServiceAccountKey) {
		t.Fatal("a second Ensure on the same directory changed the key material")
	}
	// A new name gets a new serving certificate from the same CA.
	cfg.SANs = append(cfg.SANs, "other.example.test")
	third, err := Ensure(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CACertPEM, third.CACertPEM) {
		t.Fatal("CA changed")
	}
	if bytes.Equal(first.ServingCert.Certificate[0], third.ServingCert.Certificate[0]) {
		t.Fatal("serving certificate not reissued for a new SAN")
	}
	if fi, err := os.Stat(filepath.Join(dir, "ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode: %v %v", fi, err)
	}
}

func TestWriteKubeconfigLoads(t *testing.T) {
	b, err := Ensure(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "admin.kubeconfig")
	if err := WriteKubeconfig(path, "https://127.0.0.1:6443", b.CACertPEM, b.AdminCertPEM, b.AdminKeyPEM, "default"); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || !bytes.Equal(cfg.CAData, b.CACertPEM) || !bytes.Equal(cfg.CertData, b.AdminCertPEM) {
		t.Fatalf("kubeconfig round trip: %+v", cfg)
	}
}

func parsePEM(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(data)
	if blk == nil {
		t.Fatal("not PEM")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
