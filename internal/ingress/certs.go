package ingress

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// FallbackCertCommonName is the subject of the self-signed certificate
// served for SNI names no Ingress has a Secret for.
const FallbackCertCommonName = "skiff ingress fallback certificate"

// selfSigned makes the fallback certificate, valid for a year from now.
func selfSigned(now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("fallback key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("fallback serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: FallbackCertCommonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("fallback certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// certCache parses each TLS Secret once per resourceVersion; table builds
// run on every change and would otherwise re-parse every key pair.
type certCache struct {
	mu      sync.Mutex
	entries map[string]cachedCert
}

type cachedCert struct {
	version string
	cert    *tls.Certificate
	err     error
}

func (c *certCache) get(s *corev1.Secret) (*tls.Certificate, error) {
	key := s.Namespace + "/" + s.Name
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.version == s.ResourceVersion {
		return e.cert, e.err
	}
	e := cachedCert{version: s.ResourceVersion}
	if s.Type != corev1.SecretTypeTLS {
		e.err = fmt.Errorf("secret %s: type %q, want %q", key, s.Type, corev1.SecretTypeTLS)
	} else if pair, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey]); err != nil {
		e.err = fmt.Errorf("secret %s: %w", key, err)
	} else {
		e.cert = &pair
	}
	if c.entries == nil {
		c.entries = map[string]cachedCert{}
	}
	c.entries[key] = e
	return e.cert, e.err
}

// certificate picks the certificate for an SNI name: exact host, then a
// one-label wildcard, then nil.
func (t *table) certificate(sni string) *tls.Certificate {
	host := requestHost(sni)
	if c, ok := t.certs[host]; ok {
		return c
	}
	if k, ok := wildcardKey(host); ok {
		return t.certs["*."+k]
	}
	return nil
}

// retain forgets the Secrets whose keys are not in keep.
func (c *certCache) retain(keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if !keep[k] {
			delete(c.entries, k)
		}
	}
}
