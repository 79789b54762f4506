package apiserver

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

// RuleResolver is implemented by authorizers that can list what a user
// may do in a namespace (SelfSubjectRulesReview, kubectl auth can-i
// --list). incomplete says the list may lack rules.
type RuleResolver interface {
	RulesFor(ctx context.Context, u *authn.User, namespace string) (rules []authorizationv1.ResourceRule, nonResource []authorizationv1.NonResourceRule, incomplete bool, err error)
}

// RulesFor answers as Kubernetes' AlwaysAllow authorizer: every verb on
// every resource of every group, and on every path.
func (AllowAll) RulesFor(context.Context, *authn.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	all := []string{"*"}
	return []authorizationv1.ResourceRule{{Verbs: all, APIGroups: all, Resources: all}},
		[]authorizationv1.NonResourceRule{{Verbs: all, NonResourceURLs: all}}, false, nil
}

// selfSubjectRulesReview lists the requester's rules in spec.namespace.
// An authorizer that cannot list rules answers none, incomplete.
func (s *Server) selfSubjectRulesReview(rv *reviewRequest) (runtime.Object, error) {
	review := &authorizationv1.SelfSubjectRulesReview{}
	if err := rv.decode(review); err != nil {
		return nil, err
	}
	if review.Spec.Namespace == "" {
		return nil, apierrors.NewBadRequest("no namespace on request")
	}
	out := &authorizationv1.SelfSubjectRulesReview{TypeMeta: review.TypeMeta}
	rr, ok := s.cfg.Authorizer.(RuleResolver)
	if !ok {
		out.Status.Incomplete = true
		return out, nil
	}
	rules, nonResource, incomplete, err := rr.RulesFor(rv.r.Context(), rv.user, review.Spec.Namespace)
	out.Status = authorizationv1.SubjectRulesReviewStatus{ResourceRules: rules, NonResourceRules: nonResource, Incomplete: incomplete}
	if err != nil {
		out.Status.EvaluationError = err.Error()
	}
	return out, nil
}
