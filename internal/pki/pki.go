// Package pki creates and keeps the cluster's certificate authority, the
// API server's serving certificate, the admin client certificate and the
// service-account signing key, all as files in one directory.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Validity periods: the CA lives ten years like k3s's; leaf certificates
// one year and are renewed at start when they near expiry.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
)

// Admin identity: system:masters is the group Kubernetes' default RBAC
// binds to cluster-admin.
const (
	AdminUser  = "system:admin"
	AdminGroup = "system:masters"
)

// Config says where the files live and what the serving certificate covers.
type Config struct {
	Dir string
	// SANs are extra DNS names or IPs for the serving certificate.
	SANs []string
	// ServiceIP is the kubernetes Service's ClusterIP.
	ServiceIP net.IP
}

// Bundle is the loaded key material.
type Bundle struct {
	CACert    *x509.Certificate
	CAKey     crypto.Signer
	CACertPEM []byte
	// ServingCert is the API server's TLS certificate.
	ServingCert tls.Certificate
	// AdminCertPEM and AdminKeyPEM are the admin client's credentials.
	AdminCertPEM, AdminKeyPEM []byte
	// ServiceAccountKey signs service-account tokens (RS256).
	ServiceAccountKey *rsa.PrivateKey
	// FrontProxyCACertPEM is the CA of the front-proxy client certificate,
	// which extension API servers trust for X-Remote-* headers.
	FrontProxyCACertPEM []byte
	// FrontProxyClientCert authenticates the server to extension API servers.
	FrontProxyClientCert tls.Certificate
}

// Ensure loads the bundle from cfg.Dir, creating what is missing. The CA
// and the signing key, once made, never change; the serving certificate
// is made anew when its names no longer cover the machine or it nears
// expiry.
func Ensure(cfg Config) (*Bundle, error) {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	b := &Bundle{}
	var err error
	if b.CACert, b.CAKey, err = loadOrCreateCA(cfg.Dir, "ca", "skiff-ca"); err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	b.CACertPEM = encodeCert(b.CACert)
	dns, ips := servingNames(cfg)
	certPEM, keyPEM, err := b.leaf(cfg.Dir, "serving", pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth, dns, ips)
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	if b.ServingCert, err = tls.X509KeyPair(append(certPEM, b.CACertPEM...), keyPEM); err != nil {
		return nil, err
	}
	b.AdminCertPEM, b.AdminKeyPEM, err = b.leaf(cfg.Dir, "admin", pkix.Name{CommonName: AdminUser, Organization: []string{AdminGroup}}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("admin certificate: %w", err)
	}
	if b.ServiceAccountKey, err = loadOrCreateRSA(filepath.Join(cfg.Dir, "service-account.key")); err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	if err := b.ensureFrontProxy(cfg.Dir); err != nil {
		return nil, fmt.Errorf("front proxy: %w", err)
	}
	return b, nil
}

// servingNames lists what the serving certificate must cover: the
// kubernetes Service names, localhost, the hostname, every address of
// the machine and the configured extras.
func servingNames(cfg Config) (dns []string, ips []net.IP) {
	dns = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if h, err := os.Hostname(); err == nil && h != "" {
		dns = append(dns, h)
	}
	ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if cfg.ServiceIP != nil {
		ips = append(ips, cfg.ServiceIP)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				ips = append(ips, ipn.IP)
			}
		}
	}
	for _, s := range cfg.SANs {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		} else if s != "" {
			dns = append(dns, s)
		}
	}
	return dns, ips
}

// loadOrCreateCA loads the CA stored as name.crt and name.key, creating
// one whose common name starts with cn when there is none.
func loadOrCreateCA(dir, name, cn string) (*x509.Certificate, crypto.Signer, error) {
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if cert, key, err := loadPair(certFile, keyFile); err == nil {
		return cert, key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("%s@%d", cn, now.Unix())},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	if err := writePair(certFile, keyFile, encodeCert(cert), key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// leaf returns the PEM certificate and key stored under name, issuing a
// new one when it is missing, expiring, or lacks a wanted name.
func (b *Bundle) leaf(dir, name string, subject pkix.Name, usage x509.ExtKeyUsage, dns []string, ips []net.IP) ([]byte, []byte, error) {
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if cert, key, err := loadPair(certFile, keyFile); err == nil && b.stillGood(cert, dns, ips) {
		keyPEM, err := encodeKey(key)
		return encodeCert(cert), keyPEM, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.CACert, key.Public(), b.CAKey)
	if err != nil {
		return nil, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writePair(certFile, keyFile, certPEM, key); err != nil {
		return nil, nil, err
	}
	keyPEM, err := encodeKey(key)
	return certPEM, keyPEM, err
}

func (b *Bundle) stillGood(cert *x509.Certificate, dns []string, ips []net.IP) bool {
	if cert.CheckSignatureFrom(b.CACert) != nil || time.Until(cert.NotAfter) < renewBefore {
		return false
	}
	for _, d := range dns {
		if !slices.Contains(cert.DNSNames, d) {
			return false
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

func loadPair(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s or %s is not PEM", certFile, keyFile)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certFile, err)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: not a signing key", keyFile)
	}
	return cert, signer, nil
}

func loadOrCreateRSA(file string) (*rsa.PrivateKey, error) {
	if data, err := os.ReadFile(file); err == nil {
		kb, _ := pem.Decode(data)
		if kb == nil {
			return nil, fmt.Errorf("%s is not PEM", file)
		}
		key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		rk, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an RSA key", file)
		}
		return rk, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return key, writeFileAtomic(file, keyPEM, 0o600)
}

func writePair(certFile, keyFile string, certPEM []byte, key crypto.Signer) error {
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certFile, certPEM, 0o644)
}

// writeFileAtomic writes through a temporary file and a rename, so a
// crash never leaves half a key behind.
func writeFileAtomic(name string, data []byte, mode os.FileMode) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

func encodeCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func encodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
