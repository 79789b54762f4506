package authn

import (
	"context"
	"slices"
)

// TokenAuthenticator checks a bearer token that is valid for whatever the
// API server accepts, such as a token-file entry (audience-agnostic).
type TokenAuthenticator interface {
	AuthenticateToken(ctx context.Context, token string) (u *User, ok bool, err error)
}

// AudienceAuthenticator checks a token for the audiences a caller names
// and returns those among them the token is valid for.
type AudienceAuthenticator interface {
	AuthenticateTokenFor(ctx context.Context, token string, audiences []string) (u *User, valid []string, ok bool, err error)
}

// ReviewToken authenticates a token alone, as a TokenReview asks:
// audience-aware members check it against audiences; audience-agnostic
// ones only answer when audiences overlap apiAudiences (what the API
// server itself accepts), and then for that overlap, as Kubernetes'
// audience-agnostic wrapper does.
func (u Union) ReviewToken(ctx context.Context, token string, audiences, apiAudiences []string) (*User, []string, bool, error) {
	var errs []error
	for _, a := range u {
		user, auds, ok, err := reviewOne(ctx, a, token, audiences, apiAudiences)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			if !slices.Contains(user.Groups, AllAuthenticated) {
				user.Groups = append(user.Groups, AllAuthenticated)
			}
			return user, auds, true, nil
		}
	}
	if len(errs) > 0 {
		return nil, nil, false, errs[0]
	}
	return nil, nil, false, nil
}

func reviewOne(ctx context.Context, a Authenticator, token string, audiences, apiAudiences []string) (*User, []string, bool, error) {
	switch t := a.(type) {
	case AudienceAuthenticator:
		return t.AuthenticateTokenFor(ctx, token, audiences)
	case TokenAuthenticator:
		common := Intersect(audiences, apiAudiences)
		if len(common) == 0 {
			return nil, nil, false, nil
		}
		user, ok, err := t.AuthenticateToken(ctx, token)
		return user, common, ok, err
	}
	return nil, nil, false, nil
}

// Intersect returns the members of a also in b, in a's order.
func Intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
