package certificates

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// signerRules checks a request against what its signer may issue.
type signerRules func(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error

// signers are the kubernetes.io signers this controller serves.
var signers = map[string]signerRules{
	certificatesv1.KubeAPIServerClientSignerName:        apiServerClient,
	certificatesv1.KubeAPIServerClientKubeletSignerName: kubeletClient,
	certificatesv1.KubeletServingSignerName:             kubeletServing,
}

var (
	clientUsages = sets.New(certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment)
	// Kubelet requests must ask for exactly these, or these without key
	// encipherment (non-RSA keys).
	kubeletClientUsages  = sets.New(certificatesv1.UsageKeyEncipherment, certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth)
	kubeletServingUsages = sets.New(certificatesv1.UsageKeyEncipherment, certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth)
)

// apiServerClient allows any subject, with client usages only.
func apiServerClient(_ *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	for _, u := range usages {
		if !clientUsages.Has(u) {
			return fmt.Errorf("invalid usage for client certificate: %s", u)
		}
	}
	return nil
}

// kubeletClient wants a node identity and no subject alternative names.
func kubeletClient(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if err := nodeSubject(req); err != nil {
		return err
	}
	switch {
	case len(req.DNSNames) > 0:
		return errors.New("DNS subjectAltNames are not allowed")
	case len(req.EmailAddresses) > 0:
		return errors.New("Email subjectAltNames are not allowed")
	case len(req.IPAddresses) > 0:
		return errors.New("IP subjectAltNames are not allowed")
	case len(req.URIs) > 0:
		return errors.New("URI subjectAltNames are not allowed")
	}
	return exactUsages(usages, kubeletClientUsages)
}

// kubeletServing wants a node identity with DNS or IP names only.
func kubeletServing(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if err := nodeSubject(req); err != nil {
		return err
	}
	switch {
	case len(req.DNSNames) == 0 && len(req.IPAddresses) == 0:
		return errors.New("DNS or IP subjectAltName is required")
	case len(req.EmailAddresses) > 0:
		return errors.New("Email subjectAltNames are not allowed")
	case len(req.URIs) > 0:
		return errors.New("URI subjectAltNames are not allowed")
	}
	return exactUsages(usages, kubeletServingUsages)
}

func nodeSubject(req *x509.CertificateRequest) error {
	if !slices.Equal(req.Subject.Organization, []string{"system:nodes"}) {
		return errors.New("subject organization is not system:nodes")
	}
	if !strings.HasPrefix(req.Subject.CommonName, "system:node:") {
		return errors.New("subject common name does not begin with 'system:node:'")
	}
	return nil
}

func exactUsages(usages []certificatesv1.KeyUsage, want sets.Set[certificatesv1.KeyUsage]) error {
	got := sets.New(usages...)
	noRSA := want.Clone().Delete(certificatesv1.UsageKeyEncipherment)
	if !got.Equal(want) && !got.Equal(noRSA) {
		return fmt.Errorf("usages did not match %v", sets.List(want))
	}
	return nil
}
