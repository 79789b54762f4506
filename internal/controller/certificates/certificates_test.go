package certificates

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testCA(t *testing.T) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, Key: key, MaxTTL: defaultMaxTTL}
}

func certRequest(t *testing.T, tmpl *x509.CertificateRequest) *x509.CertificateRequest {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSignerRules(t *testing.T) {
	node := pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes"}}
	serving := []certificatesv1.KeyUsage{"digital signature", "server auth"}
	for name, tc := range map[string]struct {
		signer string
		req    *x509.CertificateRequest
		usages []certificatesv1.KeyUsage
		want   string
	}{
		"client ok":          {certificatesv1.KubeAPIServerClientSignerName, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, []certificatesv1.KeyUsage{"client auth"}, ""},
		"client server auth": {certificatesv1.KubeAPIServerClientSignerName, &x509.CertificateRequest{}, []certificatesv1.KeyUsage{"server auth"}, "invalid usage for client certificate: server auth"},
		"kubelet client ok":  {certificatesv1.KubeAPIServerClientKubeletSignerName, &x509.CertificateRequest{Subject: node}, []certificatesv1.KeyUsage{"key encipherment", "digital signature", "client auth"}, ""},
		"kubelet client dns": {certificatesv1.KubeAPIServerClientKubeletSignerName, &x509.CertificateRequest{Subject: node, DNSNames: []string{"n1"}}, []certificatesv1.KeyUsage{"digital signature", "client auth"}, "DNS subjectAltNames are not allowed"},
		"serving ok":         {certificatesv1.KubeletServingSignerName, &x509.CertificateRequest{Subject: node, IPAddresses: []net.IP{net.IPv4(10, 0, 0, 1)}}, serving, ""},
		"serving no names":   {certificatesv1.KubeletServingSignerName, &x509.CertificateRequest{Subject: node}, serving, "DNS or IP subjectAltName is required"},
		"serving not node":   {certificatesv1.KubeletServingSignerName, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:n1"}, DNSNames: []string{"n1"}}, serving, "subject organization is not system:nodes"},
		"serving bad cn":     {certificatesv1.KubeletServingSignerName, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "n1", Organization: []string{"system:nodes"}}, DNSNames: []string{"n1"}}, serving, "subject common name does not begin with 'system:node:'"},
		"serving usages":     {certificatesv1.KubeletServingSignerName, &x509.CertificateRequest{Subject: node, DNSNames: []string{"n1"}}, []certificatesv1.KeyUsage{"server auth"}, "usages did not match [digital signature key encipherment server auth]"},
	} {
		t.Run(name, func(t *testing.T) {
			err := signers[tc.signer](certRequest(t, tc.req), tc.usages)
			if got := errString(err); got != tc.want {
				t.Errorf("error %q, want %q", got, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSignHonoursExpirationAndUsages(t *testing.T) {
	ca := testCA(t)
	req := certRequest(t, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice", Organization: []string{"devs"}}, DNSNames: []string{"a.example"}})
	for _, tc := range []struct {
		secs *int32
		want time.Duration
	}{
		{ptr(int32(3600)), time.Hour},
		{nil, 30 * 24 * time.Hour}, // MaxTTL of a year, capped by the CA's life
		{ptr(int32(600)), 10 * time.Minute},
	} {
		data, err := ca.Sign(req, []certificatesv1.KeyUsage{"digital signature", "client auth"}, tc.secs, now)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if got := cert.NotAfter.Sub(now); got != tc.want {
			t.Errorf("expirationSeconds %v: lives %v past now, want %v", tc.secs, got, tc.want)
		}
		if cert.IsCA || cert.KeyUsage != x509.KeyUsageDigitalSignature || len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
			t.Errorf("usages: ca=%v ku=%v eku=%v", cert.IsCA, cert.KeyUsage, cert.ExtKeyUsage)
		}
		if cert.Subject.CommonName != "alice" || cert.DNSNames[0] != "a.example" || cert.CheckSignatureFrom(ca.Cert) != nil {
			t.Errorf("subject %v names %v", cert.Subject, cert.DNSNames)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestCleanerExpiry(t *testing.T) {
	ca := testCA(t)
	certPEM, err := ca.Sign(certRequest(t, &x509.CertificateRequest{}), []certificatesv1.KeyUsage{"client auth"}, ptr(int32(3600)), now)
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }
	with := func(created time.Duration, t certificatesv1.RequestConditionType, updated time.Duration, cert []byte) *certificatesv1.CertificateSigningRequest {
		c := &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: at(created)}}
		if t != "" {
			c.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: t, Status: corev1.ConditionTrue, LastUpdateTime: at(updated)}}
		}
		c.Status.Certificate = cert
		return c
	}
	for name, tc := range map[string]struct {
		csr  *certificatesv1.CertificateSigningRequest
		late time.Duration // how long after now the cleaner looks
		want bool
	}{
		"pending 23h":          {with(23*time.Hour, "", 0, nil), 0, false},
		"pending 25h":          {with(25*time.Hour, "", 0, nil), 0, true},
		"denied 30m":           {with(2*time.Hour, certificatesv1.CertificateDenied, 30*time.Minute, nil), 0, false},
		"denied 2h":            {with(3*time.Hour, certificatesv1.CertificateDenied, 2*time.Hour, nil), 0, true},
		"failed 2h":            {with(3*time.Hour, certificatesv1.CertificateFailed, 2*time.Hour, nil), 0, true},
		"approved unissued 2h": {with(3*time.Hour, certificatesv1.CertificateApproved, 2*time.Hour, nil), 0, false},
		"issued 30m after":     {with(time.Hour, certificatesv1.CertificateApproved, 30*time.Minute, certPEM), 0, false},
		"issued 2h after":      {with(3*time.Hour, certificatesv1.CertificateApproved, 2*time.Hour, certPEM), 0, true},
		// Approved only 30m before the cleaner looks, but the
		// certificate (valid until now+1h) has expired by then.
		"issued, cert expired": {with(-90*time.Minute, certificatesv1.CertificateApproved, -90*time.Minute, certPEM), 2 * time.Hour, true},
	} {
		if got := expired(tc.csr, now.Add(tc.late)); got != tc.want {
			t.Errorf("%s: expired = %v, want %v", name, got, tc.want)
		}
	}
}
