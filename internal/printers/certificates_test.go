package printers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCSRRow(t *testing.T) {
	secs := int32(3600)
	csr := &certificatesv1.CertificateSigningRequest{Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: "kubernetes.io/kube-apiserver-client", Username: "alice", ExpirationSeconds: &secs}}
	csr.Name, csr.CreationTimestamp = "c", metav1.NewTime(now)
	if diff := cmp.Diff([]any{"c", "0s", "kubernetes.io/kube-apiserver-client", "alice", "60m", "Pending"}, csrRow(csr, now)); diff != "" {
		t.Errorf("pending row (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		conds []certificatesv1.RequestConditionType
		cert  bool
		want  string
	}{
		{[]certificatesv1.RequestConditionType{certificatesv1.CertificateApproved}, true, "Approved,Issued"},
		{[]certificatesv1.RequestConditionType{certificatesv1.CertificateDenied}, false, "Denied"},
		{[]certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateFailed}, false, "Approved,Failed"},
	} {
		c := csr.DeepCopy()
		for _, t := range tc.conds {
			c.Status.Conditions = append(c.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: t})
		}
		if tc.cert {
			c.Status.Certificate = []byte("x")
		}
		if got := csrCondition(c); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.conds, got, tc.want)
		}
	}
}
