package serviceaccount

import (
	"encoding/json"
	"net/http"

	"github.com/go-jose/go-jose/v4"
)

// Paths of the OIDC discovery documents, as Kubernetes serves them.
const (
	ConfigPath = "/.well-known/openid-configuration"
	JWKSPath   = "/openid/v1/jwks"
)

// DiscoveryHandlers serves the OIDC configuration and the public keys.
func (t *Tokens) DiscoveryHandlers() map[string]http.Handler {
	config := map[string]any{
		"issuer":                                t.Issuer,
		"jwks_uri":                              t.Issuer + JWKSPath,
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(jose.RS256)},
	}
	keys := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &t.key.PublicKey, KeyID: t.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
	return map[string]http.Handler{
		ConfigPath: jsonHandler(config, "application/json"),
		JWKSPath:   jsonHandler(keys, "application/jwk-set+json"),
	}
}

func jsonHandler(v any, contentType string) http.Handler {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // static documents of plain types
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(body)
	})
}
