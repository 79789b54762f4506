package pki

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
)

// KubeletClientUser is the API server's identity towards kubelets, as
// kubeadm names it.
const KubeletClientUser = "kube-apiserver-kubelet-client"

// KubeletClientCert returns the API server's client certificate for
// kubelets (logs, exec, attach, port-forward), kept in dir beside the
// other certificates and renewed like them.
func (b *Bundle) KubeletClientCert(dir string) (tls.Certificate, error) {
	certPEM, keyPEM, err := b.leaf(dir, "apiserver-kubelet-client", pkix.Name{CommonName: KubeletClientUser, Organization: []string{AdminGroup}}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("kubelet client certificate: %w", err)
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}
