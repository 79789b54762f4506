package apiserver

import (
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

var specPath = field.NewPath("spec")

// selfSubjectAccessReview: may I do this?
func (s *Server) selfSubjectAccessReview(rv *reviewRequest) (runtime.Object, error) {
	review := &authorizationv1.SelfSubjectAccessReview{}
	if err := rv.decode(review); err != nil {
		return nil, err
	}
	spec := authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: review.Spec.ResourceAttributes, NonResourceAttributes: review.Spec.NonResourceAttributes}
	if errs := validateAttributes(spec); len(errs) > 0 {
		return nil, apierrors.NewInvalid(rv.res.GVK().GroupKind(), "", errs)
	}
	review.Status = s.decide(rv, rv.user, spec)
	return review, nil
}

// subjectAccessReview: may this user (spec.user, groups, uid, extra) do this?
func (s *Server) subjectAccessReview(rv *reviewRequest) (runtime.Object, error) {
	review := &authorizationv1.SubjectAccessReview{}
	if err := rv.decode(review); err != nil {
		return nil, err
	}
	errs := validateSubjectSpec(review.Spec)
	if meta := review.ObjectMeta; !emptyMeta(meta) {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), meta, "must be empty"))
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(rv.res.GVK().GroupKind(), "", errs)
	}
	review.Status = s.decide(rv, subjectOf(review.Spec), review.Spec)
	return review, nil
}

// localSubjectAccessReview is a SubjectAccessReview in the namespace of
// the request path, for resources only.
func (s *Server) localSubjectAccessReview(rv *reviewRequest) (runtime.Object, error) {
	review := &authorizationv1.LocalSubjectAccessReview{}
	if err := rv.decode(review); err != nil {
		return nil, err
	}
	ns := rv.ri.Namespace
	if review.Namespace == "" {
		review.Namespace = ns
	}
	if review.Namespace != ns {
		return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	errs := validateSubjectSpec(review.Spec)
	meta := review.ObjectMeta
	meta.Namespace = ""
	if !emptyMeta(meta) {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), review.ObjectMeta, "must be empty except for namespace"))
	}
	if review.Spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(specPath.Child("nonResourceAttributes"), review.Spec.NonResourceAttributes, "disallowed on this kind of request"))
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(rv.res.GVK().GroupKind(), "", errs)
	}
	if ra := review.Spec.ResourceAttributes; ra.Namespace != ns {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match namespace: %v", ns))
	}
	review.Status = s.decide(rv, subjectOf(review.Spec), review.Spec)
	return review, nil
}

// emptyMeta reports whether m has nothing but managed fields.
func emptyMeta(m metav1.ObjectMeta) bool {
	m.ManagedFields = nil
	return apiequality.Semantic.DeepEqual(m, metav1.ObjectMeta{})
}

// validateAttributes checks that exactly one kind of attributes is given.
func validateAttributes(spec authorizationv1.SubjectAccessReviewSpec) field.ErrorList {
	var errs field.ErrorList
	if spec.ResourceAttributes != nil && spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(specPath.Child("nonResourceAttributes"), spec.NonResourceAttributes, "cannot be specified in combination with resourceAttributes"))
	}
	if spec.ResourceAttributes == nil && spec.NonResourceAttributes == nil {
		errs = append(errs, field.Invalid(specPath.Child("resourceAttributes"), spec.NonResourceAttributes, "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
	}
	return errs
}

// validateSubjectSpec adds the subject: a user or a group must be named.
func validateSubjectSpec(spec authorizationv1.SubjectAccessReviewSpec) field.ErrorList {
	errs := validateAttributes(spec)
	if spec.User == "" && len(spec.Groups) == 0 {
		errs = append(errs, field.Invalid(specPath.Child("user"), spec.User, "at least one of user or group must be specified"))
	}
	return errs
}

// subjectOf is the user a SubjectAccessReview asks about.
func subjectOf(spec authorizationv1.SubjectAccessReviewSpec) *authn.User {
	u := &authn.User{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	for k, v := range spec.Extra {
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[k] = v
	}
	return u
}

// decide asks the authorizer whether u may do what spec describes.
func (s *Server) decide(rv *reviewRequest, u *authn.User, spec authorizationv1.SubjectAccessReviewSpec) authorizationv1.SubjectAccessReviewStatus {
	attrs := &RequestAttributes{}
	if ra := spec.ResourceAttributes; ra != nil {
		attrs = &RequestAttributes{Verb: ra.Verb, Group: ra.Group, Version: ra.Version, Resource: ra.Resource, Subresource: ra.Subresource, Namespace: ra.Namespace, Name: ra.Name}
	} else {
		attrs = &RequestAttributes{Verb: spec.NonResourceAttributes.Verb, Path: spec.NonResourceAttributes.Path}
	}
	allowed, reason, err := s.cfg.Authorizer.Authorize(rv.r.Context(), u, attrs)
	status := authorizationv1.SubjectAccessReviewStatus{Allowed: allowed, Reason: reason}
	if err != nil {
		status.EvaluationError = err.Error()
	}
	return status
}
