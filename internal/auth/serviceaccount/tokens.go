// Package serviceaccount issues and verifies service-account tokens: JWTs
// signed with the cluster's key, bound to a service account and
// optionally to a pod or secret, with an expiry, in the claim layout of
// Kubernetes' bound tokens. It also serves the OIDC discovery documents
// that let other parties verify them.
package serviceaccount

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/auth/authn"
)

// DefaultIssuer is the issuer (and default audience) of tokens, the
// same as kubeadm's and k3s's clusters use.
const DefaultIssuer = "https://kubernetes.default.svc.cluster.local"

// UIDLookup returns the UID of the live object of kind ("ServiceAccount",
// "Pod", "Secret") named namespace/name, or an error if there is none.
type UIDLookup func(ctx context.Context, kind, namespace, name string) (types.UID, error)

// Tokens issues and authenticates service-account tokens.
type Tokens struct {
	Issuer string
	key    *rsa.PrivateKey
	kid    string
	signer jose.Signer
	lookup UIDLookup
	now    func() time.Time
}

// New returns a token issuer and authenticator signing with key.
func New(issuer string, key *rsa.PrivateKey, lookup UIDLookup) (*Tokens, error) {
	kid, err := keyID(key)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, err
	}
	return &Tokens{Issuer: issuer, key: key, kid: kid, signer: signer, lookup: lookup, now: time.Now}, nil
}

// keyID is Kubernetes' key id: base64url of the SHA-256 of the public key's DER.
func keyID(key *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// Ref names an object by kind, name and UID.
type Ref struct {
	Kind string
	Name string
	UID  types.UID
}

// Request describes a token to issue.
type Request struct {
	Namespace      string
	ServiceAccount Ref
	// Bound is the pod or secret whose deletion ends the token; may be nil.
	Bound     *Ref
	Audiences []string
	Lifetime  time.Duration
}

// ref is a name and uid as they appear in the claims.
type ref struct {
	Name string    `json:"name"`
	UID  types.UID `json:"uid"`
}

// k8sClaims is the private "kubernetes.io" claim.
type k8sClaims struct {
	Namespace      string `json:"namespace"`
	ServiceAccount ref    `json:"serviceaccount"`
	Pod            *ref   `json:"pod,omitempty"`
	Secret         *ref   `json:"secret,omitempty"`
}

type claims struct {
	jwt.Claims
	Kubernetes k8sClaims `json:"kubernetes.io"`
}

// Issue signs a token for req and returns it with its expiry.
func (t *Tokens) Issue(req Request) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(req.Lifetime)
	c := claims{
		Claims: jwt.Claims{
			Issuer: t.Issuer, Subject: username(req.Namespace, req.ServiceAccount.Name),
			Audience: req.Audiences, Expiry: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now), ID: uuid.NewString(),
		},
		Kubernetes: k8sClaims{Namespace: req.Namespace, ServiceAccount: ref{req.ServiceAccount.Name, req.ServiceAccount.UID}},
	}
	if b := req.Bound; b != nil {
		r := &ref{b.Name, b.UID}
		switch b.Kind {
		case "Pod":
			c.Kubernetes.Pod = r
		case "Secret":
			c.Kubernetes.Secret = r
		default:
			return "", time.Time{}, fmt.Errorf("cannot bind a token to a %s", b.Kind)
		}
	}
	tok, err := jwt.Signed(t.signer).Claims(c).Serialize()
	return tok, exp, err
}

func username(ns, name string) string { return "system:serviceaccount:" + ns + ":" + name }

// AuthenticateRequest implements authn.Authenticator: a bearer JWT from
// this issuer is checked for signature, expiry and audience (the issuer),
// and its service account and bound object must still exist with the
// same UIDs.
func (t *Tokens) AuthenticateRequest(r *http.Request) (*authn.User, bool, error) {
	u, _, ok, err := t.AuthenticateTokenFor(r.Context(), authn.BearerToken(r), []string{t.Issuer})
	return u, ok, err
}

// AuthenticateTokenFor implements authn.AudienceAuthenticator: the token
// must name one of audiences; valid are those it names.
func (t *Tokens) AuthenticateTokenFor(ctx context.Context, raw string, audiences []string) (*authn.User, []string, bool, error) {
	if strings.Count(raw, ".") != 2 {
		return nil, nil, false, nil
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, nil, false, nil
	}
	var c claims
	if err := tok.Claims(&t.key.PublicKey, &c); err != nil {
		return nil, nil, false, fmt.Errorf("service-account token: %w", err)
	}
	if c.Issuer != t.Issuer {
		return nil, nil, false, nil
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Time: t.now()}, 0); err != nil {
		return nil, nil, false, fmt.Errorf("service-account token: %w", err)
	}
	valid := authn.Intersect(audiences, c.Audience)
	if len(valid) == 0 {
		return nil, nil, false, fmt.Errorf("token audiences %q is invalid for the target audiences %q", []string(c.Audience), audiences)
	}
	if err := t.checkLive(ctx, c.Kubernetes); err != nil {
		return nil, nil, false, err
	}
	return userOf(c), valid, true, nil
}

func (t *Tokens) checkLive(ctx context.Context, k k8sClaims) error {
	objs := []struct {
		kind string
		r    *ref
	}{{"ServiceAccount", &k.ServiceAccount}, {"Pod", k.Pod}, {"Secret", k.Secret}}
	for _, o := range objs {
		if o.r == nil {
			continue
		}
		uid, err := t.lookup(ctx, o.kind, k.Namespace, o.r.Name)
		if err != nil {
			return fmt.Errorf("service-account token: %s %s/%s: %w", o.kind, k.Namespace, o.r.Name, err)
		}
		if uid != o.r.UID {
			return fmt.Errorf("service-account token: %s %s/%s has been deleted", o.kind, k.Namespace, o.r.Name)
		}
	}
	return nil
}

func userOf(c claims) *authn.User {
	k := c.Kubernetes
	u := &authn.User{
		Name:   username(k.Namespace, k.ServiceAccount.Name),
		UID:    string(k.ServiceAccount.UID),
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + k.Namespace},
		Extra:  map[string][]string{"authentication.kubernetes.io/credential-id": {"JTI=" + c.ID}},
	}
	if k.Pod != nil {
		u.Extra["authentication.kubernetes.io/pod-name"] = []string{k.Pod.Name}
		u.Extra["authentication.kubernetes.io/pod-uid"] = []string{string(k.Pod.UID)}
	}
	return u
}
