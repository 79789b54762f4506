package apiserver

import (
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/registry"
)

var (
	authorizationGV  = authorizationv1.SchemeGroupVersion
	authenticationGV = authenticationv1.SchemeGroupVersion
	// reviewVerbs: a review is only ever created, and never stored.
	reviewVerbs = metav1.Verbs{"create"}

	authorizationResources = []registry.Resource{
		reviewResource(authorizationGV, "localsubjectaccessreviews", "LocalSubjectAccessReview", true),
		reviewResource(authorizationGV, "selfsubjectaccessreviews", "SelfSubjectAccessReview", false),
		reviewResource(authorizationGV, "selfsubjectrulesreviews", "SelfSubjectRulesReview", false),
		reviewResource(authorizationGV, "subjectaccessreviews", "SubjectAccessReview", false),
	}
	// kubectl auth whoami asks selfsubjectreviews.
	authenticationResources = []registry.Resource{
		reviewResource(authenticationGV, "selfsubjectreviews", "SelfSubjectReview", false),
		reviewResource(authenticationGV, "tokenreviews", "TokenReview", false),
	}
)

func reviewResource(gv schema.GroupVersion, res, kind string, namespaced bool) registry.Resource {
	return registry.Resource{GroupVersionResource: gv.WithResource(res), Kind: kind, Singular: res[:len(res)-1], Namespaced: namespaced}
}

// reviewFunc computes a review of kind for user u from the request body.
type reviewFunc func(s *Server, rv *reviewRequest) (runtime.Object, error)

// reviewRequest is one review being answered.
type reviewRequest struct {
	w    http.ResponseWriter
	r    *http.Request
	ri   *requestInfo
	res  registry.Resource
	data []byte
	user *authn.User
}

// decode reads the body into obj, whose kind is the resource's.
func (rv *reviewRequest) decode(obj runtime.Object) error {
	if err := decodeBody(rv.w, rv.r, rv.data, obj, rv.res.GVK()); err != nil {
		return err
	}
	obj.GetObjectKind().SetGroupVersionKind(rv.res.GVK())
	return nil
}

var reviewFuncs = map[string]reviewFunc{
	"SelfSubjectReview":        (*Server).selfSubjectReview,
	"TokenReview":              (*Server).tokenReview,
	"SelfSubjectAccessReview":  (*Server).selfSubjectAccessReview,
	"SubjectAccessReview":      (*Server).subjectAccessReview,
	"LocalSubjectAccessReview": (*Server).localSubjectAccessReview,
	"SelfSubjectRulesReview":   (*Server).selfSubjectRulesReview,
}

// serveReview answers the review kinds (kubectl auth can-i and whoami,
// webhooks' TokenReview and SubjectAccessReview) with 201 and the
// review's status, as Kubernetes does; nothing is stored.
func (s *Server) serveReview(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	obj, err := s.review(w, r, ri)
	writeComputed(w, r, http.StatusCreated, obj, err)
}

func (s *Server) review(w http.ResponseWriter, r *http.Request, ri *requestInfo) (runtime.Object, error) {
	gvr := schema.GroupVersionResource{Group: ri.Group, Version: ri.Version, Resource: ri.Resource}
	var res *registry.Resource
	for _, c := range append(authorizationResources, authenticationResources...) {
		if c.GroupVersionResource == gvr {
			res = &c
		}
	}
	if res == nil || (ri.Namespace != "") != res.Namespaced || ri.Subresource != "" || ri.Name != "" {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), ri.Name)
	}
	if ri.Verb != "create" {
		return nil, apierrors.NewMethodNotSupported(gvr.GroupResource(), ri.Verb)
	}
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	u := authn.UserFrom(r.Context())
	if u == nil {
		return nil, apierrors.NewUnauthorized("Unauthorized")
	}
	return reviewFuncs[res.Kind](s, &reviewRequest{w: w, r: r, ri: ri, res: *res, data: data, user: u})
}

// selfSubjectReview: who am I?
func (s *Server) selfSubjectReview(rv *reviewRequest) (runtime.Object, error) {
	review := &authenticationv1.SelfSubjectReview{}
	if err := rv.decode(review); err != nil {
		return nil, err
	}
	review.Status.UserInfo = userInfo(rv.user)
	return review, nil
}

// userInfo is u as the authentication API writes it.
func userInfo(u *authn.User) authenticationv1.UserInfo {
	info := authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
	for k, v := range u.Extra {
		if info.Extra == nil {
			info.Extra = map[string]authenticationv1.ExtraValue{}
		}
		info.Extra[k] = v
	}
	return info
}
