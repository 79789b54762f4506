package printers

import (
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

var certificateKinds = map[schema.GroupVersionKind]printer{
	certificatesv1.SchemeGroupVersion.WithKind("CertificateSigningRequest"): {csrColumns, typed(csrRow)},
}

var csrColumns = []metav1.TableColumnDefinition{
	nameColumn, ageColumn,
	col("SignerName", "string", certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()["signerName"]),
	col("Requestor", "string", "Name of requestor"),
	col("RequestedDuration", "string", certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()["expirationSeconds"]),
	col("Condition", "string", "Condition indicates if this certificate request is approved or denied."),
}

func csrRow(csr *certificatesv1.CertificateSigningRequest, now time.Time) []any {
	requested := "<none>"
	if s := csr.Spec.ExpirationSeconds; s != nil {
		requested = duration.HumanDuration(time.Duration(*s) * time.Second)
	}
	return []any{csr.Name, age(csr.CreationTimestamp, now), orNone(csr.Spec.SignerName), csr.Spec.Username, requested, csrCondition(csr)}
}

// csrCondition is Kubernetes' summary: Denied over Approved over
// Pending, then Failed and Issued.
func csrCondition(csr *certificatesv1.CertificateSigningRequest) string {
	has := map[certificatesv1.RequestConditionType]bool{}
	for _, c := range csr.Status.Conditions {
		has[c.Type] = true
	}
	s := "Pending"
	if has[certificatesv1.CertificateDenied] {
		s = "Denied"
	} else if has[certificatesv1.CertificateApproved] {
		s = "Approved"
	}
	if has[certificatesv1.CertificateFailed] {
		s += ",Failed"
	}
	if len(csr.Status.Certificate) > 0 {
		s += ",Issued"
	}
	return s
}
