// Package certificates holds the strategy of certificates.k8s.io
// CertificateSigningRequests: the requester is recorded from the request's
// user, the request must be a signed PKCS#10 PEM, and the approval and
// status subresources each change only their own part, as in Kubernetes.
package certificates

import (
	"context"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the group's strategies.
func Strategies() rest.Strategies {
	return rest.Strategies{"certificatesigningrequests": Strategy{}}
}

// Strategy is the CertificateSigningRequest strategy; it also serves the
// status and approval subresources.
type Strategy struct{}

// Default sets a condition without a status to True, as Kubernetes'
// defaulter does.
func (Strategy) Default(obj runtime.Object) {
	conds := obj.(*certificatesv1.CertificateSigningRequest).Status.Conditions
	for i := range conds {
		if conds[i].Status == "" {
			conds[i].Status = corev1.ConditionTrue
		}
	}
}

// PrepareForCreate drops the status: a new request is pending.
func (Strategy) PrepareForCreate(obj runtime.Object) {
	obj.(*certificatesv1.CertificateSigningRequest).Status = certificatesv1.CertificateSigningRequestStatus{}
}

// SetRequestor records the requesting user in spec.username, uid, groups
// and extra whatever the client sent, as Kubernetes does on create; it is
// the store's BeforeCreate hook.
func SetRequestor(ctx context.Context, obj runtime.Object, _ bool) error {
	spec := &obj.(*certificatesv1.CertificateSigningRequest).Spec
	spec.Username, spec.UID, spec.Groups, spec.Extra = "", "", nil, nil
	u := authn.UserFrom(ctx)
	if u == nil {
		return nil
	}
	spec.Username, spec.UID, spec.Groups = u.Name, u.UID, slices.Clone(u.Groups)
	for k, v := range u.Extra {
		if spec.Extra == nil {
			spec.Extra = map[string]certificatesv1.ExtraValue{}
		}
		spec.Extra[k] = slices.Clone(v)
	}
	return nil
}

// PrepareForUpdate keeps spec and status: only metadata changes here.
func (Strategy) PrepareForUpdate(obj, old runtime.Object) {
	csr, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	csr.Spec, csr.Status = prev.Spec, prev.Status
}

// Validate checks a new request.
func (Strategy) Validate(obj runtime.Object) field.ErrorList {
	csr := obj.(*certificatesv1.CertificateSigningRequest)
	errs := rest.ValidateMeta(obj, false, nil)
	errs = append(errs, validateSpec(&csr.Spec)...)
	return append(errs, validateConditions(csr.Status.Conditions)...)
}

// ValidateUpdate checks metadata; spec and status were kept.
func (Strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	return rest.ValidateMetaUpdate(obj, old)
}

// PrepareForStatusUpdate keeps the spec and the Approved and Denied
// conditions, which only the approval subresource changes.
func (Strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	csr, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	csr.Spec = prev.Spec
	csr.Status.Conditions = append(without(csr.Status.Conditions, isApproval), keep(prev.Status.Conditions, isApproval)...)
	stampConditions(csr, prev, time.Now())
}

// ValidateStatusUpdate checks conditions and the issued certificate.
func (Strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	csr, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	errs := append(rest.ValidateMetaUpdate(obj, old), validateConditions(csr.Status.Conditions)...)
	errs = append(errs, validateConditionsKept(csr, prev)...)
	return append(errs, validateCertificate(csr, prev)...)
}

// PrepareForApprovalUpdate keeps everything but the Approved and Denied
// conditions.
func (Strategy) PrepareForApprovalUpdate(obj, old runtime.Object) {
	csr, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	csr.Spec = prev.Spec
	conds := append(keep(csr.Status.Conditions, isApproval), without(prev.Status.Conditions, isApproval)...)
	csr.Status = *prev.Status.DeepCopy()
	csr.Status.Conditions = conds
	stampConditions(csr, prev, time.Now())
}

// ValidateApprovalUpdate checks the conditions: Approved or Denied, once
// set, stay.
func (Strategy) ValidateApprovalUpdate(obj, old runtime.Object) field.ErrorList {
	csr, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	errs := append(rest.ValidateMetaUpdate(obj, old), validateConditions(csr.Status.Conditions)...)
	return append(errs, validateConditionsKept(csr, prev)...)
}

func isApproval(c certificatesv1.CertificateSigningRequestCondition) bool {
	return c.Type == certificatesv1.CertificateApproved || c.Type == certificatesv1.CertificateDenied
}

func keep(conds []certificatesv1.CertificateSigningRequestCondition, f func(certificatesv1.CertificateSigningRequestCondition) bool) []certificatesv1.CertificateSigningRequestCondition {
	var out []certificatesv1.CertificateSigningRequestCondition
	for _, c := range conds {
		if f(c) {
			out = append(out, c)
		}
	}
	return out
}

func without(conds []certificatesv1.CertificateSigningRequestCondition, f func(certificatesv1.CertificateSigningRequestCondition) bool) []certificatesv1.CertificateSigningRequestCondition {
	return keep(conds, func(c certificatesv1.CertificateSigningRequestCondition) bool { return !f(c) })
}

// stampConditions fills unset condition times: lastUpdateTime now, and
// lastTransitionTime from the old condition of the same type and status,
// else now.
func stampConditions(csr, prev *certificatesv1.CertificateSigningRequest, now time.Time) {
	t := metav1.NewTime(now)
	for i := range csr.Status.Conditions {
		c := &csr.Status.Conditions[i]
		if c.LastUpdateTime.IsZero() {
			c.LastUpdateTime = t
		}
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		c.LastTransitionTime = t
		for _, o := range prev.Status.Conditions {
			if o.Type == c.Type && o.Status == c.Status && !o.LastTransitionTime.IsZero() {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
	}
}
