package pki

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
)

// FrontProxyClientName is the common name of the front-proxy client
// certificate, the one name extension API servers are told to allow.
const FrontProxyClientName = "front-proxy-client"

// ensureFrontProxy loads or makes the front-proxy CA, separate from the
// cluster CA as in Kubernetes (a certificate it signs asserts any user
// through headers, so it must not also be a cluster client certificate),
// and the client certificate it signs.
func (b *Bundle) ensureFrontProxy(dir string) error {
	ca, key, err := loadOrCreateCA(dir, "front-proxy-ca", "front-proxy-ca")
	if err != nil {
		return err
	}
	issuer := &Bundle{CACert: ca, CAKey: key}
	certPEM, keyPEM, err := issuer.leaf(dir, "front-proxy-client", pkix.Name{CommonName: FrontProxyClientName}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return err
	}
	b.FrontProxyCACertPEM = encodeCert(ca)
	b.FrontProxyClientCert, err = tls.X509KeyPair(certPEM, keyPEM)
	return err
}
