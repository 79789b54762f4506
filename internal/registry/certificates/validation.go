package certificates

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	specPath       = field.NewPath("spec")
	conditionsPath = field.NewPath("status", "conditions")
	certPath       = field.NewPath("status", "certificate")
)

// validUsages are Kubernetes' key usages.
var validUsages = sets.New[certificatesv1.KeyUsage](
	certificatesv1.UsageSigning, certificatesv1.UsageDigitalSignature, certificatesv1.UsageContentCommitment,
	certificatesv1.UsageKeyEncipherment, certificatesv1.UsageKeyAgreement, certificatesv1.UsageDataEncipherment,
	certificatesv1.UsageCertSign, certificatesv1.UsageCRLSign, certificatesv1.UsageEncipherOnly,
	certificatesv1.UsageDecipherOnly, certificatesv1.UsageAny, certificatesv1.UsageServerAuth,
	certificatesv1.UsageClientAuth, certificatesv1.UsageCodeSigning, certificatesv1.UsageEmailProtection,
	certificatesv1.UsageSMIME, certificatesv1.UsageIPsecEndSystem, certificatesv1.UsageIPsecTunnel,
	certificatesv1.UsageIPsecUser, certificatesv1.UsageTimestamping, certificatesv1.UsageOCSPSigning,
	certificatesv1.UsageMicrosoftSGC, certificatesv1.UsageNetscapeSGC,
)

// ParseCSR decodes the PEM CERTIFICATE REQUEST of spec.request.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	return x509.ParseCertificateRequest(block.Bytes)
}

func validateSpec(spec *certificatesv1.CertificateSigningRequestSpec) field.ErrorList {
	var errs field.ErrorList
	csr, err := ParseCSR(spec.Request)
	if err == nil {
		err = csr.CheckSignature()
	}
	if err != nil {
		errs = append(errs, field.Invalid(specPath.Child("request"), spec.Request, err.Error()))
	}
	if len(spec.Usages) == 0 {
		errs = append(errs, field.Required(specPath.Child("usages"), "usages must be provided"))
	}
	seen := sets.New[certificatesv1.KeyUsage]()
	for i, u := range spec.Usages {
		p := specPath.Child("usages").Index(i)
		switch {
		case !validUsages.Has(u):
			errs = append(errs, field.NotSupported(p, u, sets.List(validUsages)))
		case seen.Has(u):
			errs = append(errs, field.Duplicate(p, u))
		}
		seen.Insert(u)
	}
	if spec.ExpirationSeconds != nil && *spec.ExpirationSeconds < 600 {
		errs = append(errs, field.Invalid(specPath.Child("expirationSeconds"), *spec.ExpirationSeconds, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	return append(errs, validateSignerName(specPath.Child("signerName"), spec.SignerName)...)
}

// validateSignerName wants domain/path, each of DNS-1123 labels and the
// domain of at least two.
func validateSignerName(p *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	domain, path, ok := strings.Cut(name, "/")
	if !ok || strings.Contains(path, "/") {
		return field.ErrorList{field.Invalid(p, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	var errs field.ErrorList
	if len(domain) > validation.DNS1123SubdomainMaxLength {
		errs = append(errs, field.TooLong(p, domain, validation.DNS1123SubdomainMaxLength))
	}
	labels := strings.Split(domain, ".")
	errs = append(errs, validateLabels(p, domain, labels)...)
	if len(labels) < 2 {
		errs = append(errs, field.Invalid(p, domain, "should be a domain with at least two segments separated by dots"))
	}
	errs = append(errs, validateLabels(p, path, strings.Split(path, "."))...)
	if limit := validation.DNS1123SubdomainMaxLength - len(domain) - 1; len(path) > limit {
		errs = append(errs, field.TooLong(p, path, limit))
	}
	return errs
}

// validateLabels reports the first bad label only: the rest would repeat it.
func validateLabels(p *field.Path, segment string, labels []string) field.ErrorList {
	for _, l := range labels {
		if msgs := validation.IsDNS1123Label(l); len(msgs) > 0 {
			var errs field.ErrorList
			for _, m := range msgs {
				errs = append(errs, field.Invalid(p, segment, fmt.Sprintf("validating label %q: %s", l, m)))
			}
			return errs
		}
	}
	return nil
}

// terminal conditions appear once, always True; Approved and Denied
// exclude each other.
var terminal = sets.New(certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed)

func validateConditions(conds []certificatesv1.CertificateSigningRequestCondition) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[certificatesv1.RequestConditionType]()
	for i, c := range conds {
		p := conditionsPath.Index(i)
		switch {
		case c.Type == "":
			errs = append(errs, field.Required(p.Child("type"), ""))
		case terminal.Has(c.Type) && seen.Has(c.Type):
			errs = append(errs, field.Duplicate(p.Child("type"), c.Type))
		}
		seen.Insert(c.Type)
		allowed := []corev1.ConditionStatus{corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionUnknown}
		if terminal.Has(c.Type) {
			allowed = allowed[:1]
		}
		if !slices.Contains(allowed, c.Status) {
			errs = append(errs, field.NotSupported(p.Child("status"), c.Status, allowed))
		}
	}
	if seen.Has(certificatesv1.CertificateApproved) && seen.Has(certificatesv1.CertificateDenied) {
		errs = append(errs, field.Invalid(conditionsPath, certificatesv1.CertificateDenied, "Approved and Denied conditions are mutually exclusive"))
	}
	return errs
}

// validateConditionsKept: Approved, Denied and Failed are never removed.
func validateConditionsKept(csr, prev *certificatesv1.CertificateSigningRequest) field.ErrorList {
	var errs field.ErrorList
	for _, t := range sets.List(terminal) {
		if count(prev.Status.Conditions, t) > count(csr.Status.Conditions, t) {
			errs = append(errs, field.Forbidden(conditionsPath, fmt.Sprintf("updates may not remove a condition of type %q", t)))
		}
	}
	return errs
}

func count(conds []certificatesv1.CertificateSigningRequestCondition, t certificatesv1.RequestConditionType) int {
	n := 0
	for _, c := range conds {
		if c.Type == t {
			n++
		}
	}
	return n
}

// validateCertificate: a certificate is PEM CERTIFICATE blocks, set only
// on an approved request that is not denied or failed, and never changed.
func validateCertificate(csr, prev *certificatesv1.CertificateSigningRequest) field.ErrorList {
	cert := csr.Status.Certificate
	if len(prev.Status.Certificate) > 0 && !bytes.Equal(cert, prev.Status.Certificate) {
		return field.ErrorList{field.Forbidden(certPath, "updates may not modify existing certificate content")}
	}
	if len(cert) == 0 || len(prev.Status.Certificate) > 0 {
		return nil
	}
	has := func(t certificatesv1.RequestConditionType) bool { return count(csr.Status.Conditions, t) > 0 }
	var errs field.ErrorList
	if !has(certificatesv1.CertificateApproved) || has(certificatesv1.CertificateDenied) || has(certificatesv1.CertificateFailed) {
		errs = append(errs, field.Invalid(certPath, "<certificate data>", "certificate can only be set if the request is approved, not denied, and not failed"))
	}
	if err := validatePEMCertificates(cert); err != nil {
		errs = append(errs, field.Invalid(certPath, "<certificate data>", err.Error()))
	}
	return errs
}

func validatePEMCertificates(data []byte) error {
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("only CERTIFICATE PEM blocks are allowed, found %q", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return err
		}
		n++
	}
	if n == 0 || len(bytes.TrimSpace(data)) > 0 {
		return errors.New("must contain at least one CERTIFICATE PEM block and nothing else")
	}
	return nil
}
