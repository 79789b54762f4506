package pki

import (
	"crypto"
	"crypto/x509"
)

// LoadCA reads a CA certificate and its PKCS#8 key, as the controller
// manager's --cluster-signing-cert-file and --cluster-signing-key-file name.
func LoadCA(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	return loadPair(certFile, keyFile)
}
