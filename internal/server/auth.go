package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/auth/serviceaccount"
	"github.com/skiff-sh/skiff/internal/pki"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// authentication is the request authenticator chain and the token issuer
// it shares its key with.
type authentication struct {
	authn.Union
	tokens *serviceaccount.Tokens
}

// newAuthentication builds the chain: client certificates of the
// cluster CA, the static token file, then service-account tokens.
func (s *Server) newAuthentication(bundle *pki.Bundle, stores []*generic.Store) (*authentication, error) {
	roots := x509.NewCertPool()
	roots.AddCert(bundle.CACert)
	chain := authn.Union{authn.NewClientCert(roots)}
	if s.cfg.TokenAuthFile != "" {
		tf, err := authn.LoadTokenFile(s.cfg.TokenAuthFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		chain = append(chain, tf)
	}
	tokens, err := serviceaccount.New(serviceaccount.DefaultIssuer, bundle.ServiceAccountKey, uidLookup(stores))
	if err != nil {
		return nil, err
	}
	return &authentication{Union: append(chain, tokens), tokens: tokens}, nil
}

// extraHandlers are the non-resource paths beside the REST API.
func (a *authentication) extraHandlers() map[string]http.Handler {
	return a.tokens.DiscoveryHandlers()
}

// uidLookup reads live objects from the watch cache, falling back to
// etcd for one written a moment ago.
func uidLookup(stores []*generic.Store) serviceaccount.UIDLookup {
	resources := map[string]string{"ServiceAccount": "serviceaccounts", "Pod": "pods", "Secret": "secrets"}
	return func(ctx context.Context, kind, ns, name string) (types.UID, error) {
		st := storeFor(stores, corev1.SchemeGroupVersion.WithResource(resources[kind]))
		if st == nil {
			return "", fmt.Errorf("unknown kind %s", kind)
		}
		obj, err := st.Get(ctx, ns, name, "0")
		if err != nil {
			obj, err = st.Get(ctx, ns, name, "")
		}
		if err != nil {
			return "", err
		}
		return obj.(metav1.Object).GetUID(), nil
	}
}
