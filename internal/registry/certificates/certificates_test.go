package certificates

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	wt "github.com/skiff-sh/skiff/internal/registry/workload/workloadtest"
)

var strategy = Strategy{}

func request(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "a"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func csr(t *testing.T) *certificatesv1.CertificateSigningRequest {
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "a"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: request(t), SignerName: "example.com/signer",
			Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
		},
	}
}

// stored is a request as read back from storage.
func stored(t *testing.T) *certificatesv1.CertificateSigningRequest {
	c := csr(t)
	c.ResourceVersion = "1"
	return c
}

func cond(t certificatesv1.RequestConditionType) certificatesv1.CertificateSigningRequestCondition {
	return certificatesv1.CertificateSigningRequestCondition{Type: t}
}

func TestValidate(t *testing.T) {
	wt.Expect(t, wt.Create(strategy, csr(t)))
	tampered := csr(t)
	block, _ := pem.Decode(tampered.Spec.Request)
	block.Bytes[len(block.Bytes)-1] ^= 1 // break the signature
	tampered.Spec.Request = pem.EncodeToMemory(block)
	wt.Expect(t, wt.Create(strategy, tampered), "spec.request: Invalid value")

	for name, tc := range map[string]struct {
		signer string
		usages []certificatesv1.KeyUsage
		want   []string
	}{
		"no signer":        {"", []certificatesv1.KeyUsage{"client auth"}, []string{"spec.signerName: Required value"}},
		"one-label domain": {"example/x", []certificatesv1.KeyUsage{"client auth"}, []string{"spec.signerName: Invalid value"}},
		"two slashes":      {"a.b/c/d", []certificatesv1.KeyUsage{"client auth"}, []string{"spec.signerName: Invalid value"}},
		"no usages":        {"a.b/c", nil, []string{"spec.usages: Required value"}},
		"duplicate usage":  {"a.b/c", []certificatesv1.KeyUsage{"client auth", "client auth"}, []string{"spec.usages[1]: Duplicate value"}},
	} {
		t.Run(name, func(t *testing.T) {
			c := csr(t)
			c.Spec.SignerName, c.Spec.Usages = tc.signer, tc.usages
			wt.Expect(t, wt.Create(strategy, c), tc.want...)
		})
	}
}

func TestCreateRecordsRequestor(t *testing.T) {
	c := csr(t)
	c.Spec.Username, c.Spec.Groups = "mallory", []string{"system:masters"}
	c.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{cond(certificatesv1.CertificateApproved)}
	wt.Expect(t, wt.Create(strategy, c))
	ctx := authn.WithUser(context.Background(), &authn.User{Name: "alice", UID: "u1", Groups: []string{"devs"}, Extra: map[string][]string{"k": {"v"}}})
	if err := SetRequestor(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	if s := c.Spec; s.Username != "alice" || s.UID != "u1" || len(s.Groups) != 1 || s.Extra["k"][0] != "v" || len(c.Status.Conditions) != 0 {
		t.Errorf("after create: %+v %+v", s, c.Status)
	}
}

func TestApproval(t *testing.T) {
	old := stored(t)

	approve := old.DeepCopy()
	approve.Spec.SignerName = "changed.example/x"
	approve.Status.Certificate = []byte("sneaky")
	approve.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{cond(certificatesv1.CertificateApproved)}
	strategy.Default(approve)
	strategy.PrepareForApprovalUpdate(approve, old)
	wt.Expect(t, strategy.ValidateApprovalUpdate(approve, old))
	if approve.Spec.SignerName != old.Spec.SignerName || len(approve.Status.Certificate) > 0 || approve.Status.Conditions[0].Status != corev1.ConditionTrue || approve.Status.Conditions[0].LastUpdateTime.IsZero() {
		t.Errorf("approval changed more than conditions: %+v", approve)
	}

	both := approve.DeepCopy()
	both.Status.Conditions = append(both.Status.Conditions, cond(certificatesv1.CertificateDenied))
	strategy.Default(both)
	strategy.PrepareForApprovalUpdate(both, approve)
	wt.Expect(t, strategy.ValidateApprovalUpdate(both, approve), "status.conditions: Invalid value")

	removed := approve.DeepCopy()
	removed.Status.Conditions = nil
	strategy.PrepareForApprovalUpdate(removed, approve)
	wt.Expect(t, strategy.ValidateApprovalUpdate(removed, approve), "status.conditions: Forbidden")
}

func TestStatusCertificateOnlyWhenApproved(t *testing.T) {
	pending := stored(t)
	withCert := pending.DeepCopy()
	withCert.Status.Certificate = []byte("x")
	// The status writer cannot approve: the Approved condition is dropped.
	withCert.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{cond(certificatesv1.CertificateApproved)}
	strategy.Default(withCert)
	strategy.PrepareForStatusUpdate(withCert, pending)
	wt.Expect(t, strategy.ValidateStatusUpdate(withCert, pending), "status.certificate: Invalid value", "status.certificate: Invalid value")
	if len(withCert.Status.Conditions) != 0 {
		t.Errorf("status update approved: %+v", withCert.Status.Conditions)
	}
}
