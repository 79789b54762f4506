package apiserver

import (
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/registry"
)

var (
	authorizationGV  = authorizationv1.SchemeGroupVersion
	authenticationGV = authenticationv1.SchemeGroupVersion
	// reviewVerbs: a review is only ever created, and never stored.
	reviewVerbs = metav1.Verbs{"create"}

	authorizationResources = []registry.Resource{{GroupVersionResource: authorizationGV.WithResource("selfsubjectaccessreviews"), Kind: "SelfSubjectAccessReview", Singular: "selfsubjectaccessreview"}}
	// kubectl auth whoami asks selfsubjectreviews.
	authenticationResources = []registry.Resource{{GroupVersionResource: authenticationGV.WithResource("selfsubjectreviews"), Kind: "SelfSubjectReview", Singular: "selfsubjectreview"}}
)

// serveReview answers `kubectl auth can-i` (SelfSubjectAccessReview: may
// I do this?) and `kubectl auth whoami` (SelfSubjectReview: who am I?)
// for the requesting user, with 201 and the review's status, as
// Kubernetes does.
func (s *Server) serveReview(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	obj, err := s.review(w, r, ri)
	writeComputed(w, r, http.StatusCreated, obj, err)
}

func (s *Server) review(w http.ResponseWriter, r *http.Request, ri *requestInfo) (runtime.Object, error) {
	gr := schema.GroupResource{Group: ri.Group, Resource: ri.Resource}
	var res *registry.Resource
	for _, c := range append(authorizationResources, authenticationResources...) {
		if c.GroupVersionResource == (schema.GroupVersionResource{Group: ri.Group, Version: ri.Version, Resource: ri.Resource}) {
			res = &c
		}
	}
	if res == nil || ri.Namespace != "" || ri.Subresource != "" || ri.Name != "" {
		return nil, apierrors.NewNotFound(gr, ri.Name)
	}
	if ri.Verb != "create" {
		return nil, apierrors.NewMethodNotSupported(gr, ri.Verb)
	}
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	u := authn.UserFrom(r.Context())
	if u == nil {
		return nil, apierrors.NewUnauthorized("Unauthorized")
	}
	if res.Kind == "SelfSubjectReview" {
		review := &authenticationv1.SelfSubjectReview{}
		if err := decodeBody(w, r, data, review, res.GVK()); err != nil {
			return nil, err
		}
		review.Status.UserInfo = authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
		for k, v := range u.Extra {
			if review.Status.UserInfo.Extra == nil {
				review.Status.UserInfo.Extra = map[string]authenticationv1.ExtraValue{}
			}
			review.Status.UserInfo.Extra[k] = v
		}
		review.TypeMeta = metav1.TypeMeta{APIVersion: authenticationGV.String(), Kind: res.Kind}
		return review, nil
	}
	review := &authorizationv1.SelfSubjectAccessReview{}
	if err := decodeBody(w, r, data, review, res.GVK()); err != nil {
		return nil, err
	}
	ra, nra := review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes
	if (ra == nil) == (nra == nil) {
		return nil, apierrors.NewInvalid(res.GVK().GroupKind(), "", field.ErrorList{field.Invalid(field.NewPath("spec", "resourceAttributes"), ra,
			"exactly one of nonResourceAttributes or resourceAttributes must be specified")})
	}
	attrs := &RequestAttributes{}
	if ra != nil {
		attrs = &RequestAttributes{Verb: ra.Verb, Group: ra.Group, Version: ra.Version, Resource: ra.Resource, Subresource: ra.Subresource, Namespace: ra.Namespace, Name: ra.Name}
	} else {
		attrs = &RequestAttributes{Verb: nra.Verb, Path: nra.Path}
	}
	allowed, reason, err := s.cfg.Authorizer.Authorize(r.Context(), u, attrs)
	review.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: allowed, Reason: reason}
	if err != nil {
		review.Status.EvaluationError = err.Error()
	}
	review.TypeMeta = metav1.TypeMeta{APIVersion: authorizationGV.String(), Kind: res.Kind}
	return review, nil
}
