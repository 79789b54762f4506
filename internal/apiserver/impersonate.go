package apiserver

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

// Impersonation headers (kubectl --as, --as-group, --as-uid).
const (
	impersonateUser        = "Impersonate-User"
	impersonateGroup       = "Impersonate-Group"
	impersonateUID         = "Impersonate-Uid"
	impersonateExtraPrefix = "Impersonate-Extra-"
)

// impersonate returns the user the request acts as: u itself, or the one
// its Impersonate-* headers name once u is authorized to impersonate
// each part (verb "impersonate" on users or serviceaccounts, groups,
// uids and userextras), as Kubernetes' impersonation filter does.
func (s *Server) impersonate(r *http.Request, u *authn.User) (*authn.User, error) {
	name := r.Header.Get(impersonateUser)
	target, checks := &authn.User{Name: name, UID: r.Header.Get(impersonateUID), Groups: r.Header.Values(impersonateGroup)}, []*RequestAttributes{}
	for _, g := range target.Groups {
		checks = append(checks, &RequestAttributes{Resource: "groups", Name: g})
	}
	if target.UID != "" {
		checks = append(checks, &RequestAttributes{Group: "authentication.k8s.io", Resource: "uids", Name: target.UID})
	}
	for h, vals := range r.Header {
		if !strings.HasPrefix(h, impersonateExtraPrefix) {
			continue
		}
		key, err := url.PathUnescape(strings.ToLower(strings.TrimPrefix(h, impersonateExtraPrefix)))
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("malformed extra key for impersonation request: %q", h))
		}
		if target.Extra == nil {
			target.Extra = map[string][]string{}
		}
		target.Extra[key] = vals
		for _, v := range vals {
			checks = append(checks, &RequestAttributes{Group: "authentication.k8s.io", Resource: "userextras", Subresource: key, Name: v})
		}
	}
	if name == "" {
		if len(checks) > 0 {
			return nil, apierrors.NewBadRequest("requested impersonation of groups, uid or extra without impersonating a user")
		}
		return u, nil
	}
	checks = append(checks, userCheck(name))
	for _, a := range checks {
		a.Verb = "impersonate"
		if err := s.mayImpersonate(r, u, a); err != nil {
			return nil, err
		}
	}
	target.Groups = impersonatedGroups(name, target.Groups)
	return target, nil
}

// userCheck is what impersonating name needs: a service account is
// checked as the serviceaccounts resource of its namespace.
func userCheck(name string) *RequestAttributes {
	if rest, ok := strings.CutPrefix(name, "system:serviceaccount:"); ok {
		if ns, sa, ok := strings.Cut(rest, ":"); ok {
			return &RequestAttributes{Resource: "serviceaccounts", Namespace: ns, Name: sa}
		}
	}
	return &RequestAttributes{Resource: "users", Name: name}
}

// impersonatedGroups adds the groups Kubernetes gives every such user.
func impersonatedGroups(name string, groups []string) []string {
	add := []string{authn.AllAuthenticated}
	if name == "system:anonymous" {
		add = []string{"system:unauthenticated"}
	} else if rest, ok := strings.CutPrefix(name, "system:serviceaccount:"); ok {
		ns, _, _ := strings.Cut(rest, ":")
		add = append(add, "system:serviceaccounts", "system:serviceaccounts:"+ns)
	}
	for _, g := range add {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return groups
}

func (s *Server) mayImpersonate(r *http.Request, u *authn.User, a *RequestAttributes) error {
	ok, reason, err := s.cfg.Authorizer.Authorize(r.Context(), u, a)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if ok {
		return nil
	}
	scope := "at the cluster scope"
	if a.Namespace != "" {
		scope = fmt.Sprintf("in the namespace %q", a.Namespace)
	}
	msg := fmt.Sprintf("User %q cannot impersonate resource %q in API group %q %s", u.Name, a.Resource, a.Group, scope)
	if reason != "" {
		msg += ": " + reason
	}
	return apierrors.NewForbidden(schema.GroupResource{Group: a.Group, Resource: a.Resource}, a.Name, fmt.Errorf("%s", msg))
}
