package apiserver

import (
	"context"
	"errors"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

// TokenReviewer authenticates a bare token for a TokenReview; the
// server's authenticator chain (authn.Union) is one.
type TokenReviewer interface {
	ReviewToken(ctx context.Context, token string, audiences, apiAudiences []string) (*authn.User, []string, bool, error)
}

// tokenReview authenticates spec.token with the server's own token
// authenticators for spec.audiences (the API server's audiences when
// empty), as Kubernetes' TokenReview does.
func (s *Server) tokenReview(rv *reviewRequest) (runtime.Object, error) {
	review := &authenticationv1.TokenReview{}
	if err := rv.decode(review); err != nil {
		return nil, err
	}
	if review.Namespace != "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is not allowed on this type: %v", review.Namespace))
	}
	if review.Spec.Token == "" {
		return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	tr, ok := s.cfg.Authenticator.(TokenReviewer)
	if !ok {
		return review, nil
	}
	auds := review.Spec.Audiences
	if len(auds) == 0 {
		auds = s.cfg.APIAudiences
	}
	u, valid, ok, err := tr.ReviewToken(rv.r.Context(), review.Spec.Token, auds, s.cfg.APIAudiences)
	if !ok && err == nil {
		err = errors.New("invalid bearer token")
	}
	review.Status.Authenticated = ok
	if err != nil {
		review.Status.Error = err.Error()
	}
	if ok && len(auds) > 0 && len(authn.Intersect(auds, valid)) == 0 {
		return nil, apierrors.NewInternalError(errors.New("error validating audiences"))
	}
	if ok {
		review.Status.User = userInfo(u)
		review.Status.Audiences = valid
	}
	return review, nil
}
