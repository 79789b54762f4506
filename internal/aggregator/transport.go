package aggregator

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
)

// transport reaches one APIService's server: the front-proxy client
// certificate, its serving certificate checked against caBundle (the
// system roots without one) for <service>.<namespace>.svc, or not checked
// with insecureSkipTLSVerify. HTTP/1.1 only, so upgrades pass through.
func (a *Aggregator) transport(spec apiregv1.APIServiceSpec) *http.Transport {
	tc := &tls.Config{
		Certificates:       []tls.Certificate{a.cfg.ProxyClientCert},
		ServerName:         spec.Service.Name + "." + spec.Service.Namespace + ".svc",
		InsecureSkipVerify: spec.InsecureSkipTLSVerify, //nolint:gosec // the APIService asks for it
		MinVersion:         tls.VersionTLS12,
	}
	if len(spec.CABundle) > 0 {
		tc.RootCAs = x509.NewCertPool()
		tc.RootCAs.AppendCertsFromPEM(spec.CABundle)
	}
	return &http.Transport{
		TLSClientConfig:     tc,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 25,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
}

// Front-proxy headers, which extension servers read as the user.
const (
	headerUser        = "X-Remote-User"
	headerGroup       = "X-Remote-Group"
	headerExtraPrefix = "X-Remote-Extra-"
)

// setIdentity replaces the client's credentials in h by the front-proxy
// headers of u; headers of that form the client sent are dropped first,
// so a client cannot claim another identity.
func setIdentity(h http.Header, u *authn.User) {
	h.Del("Authorization")
	for k := range h {
		// Keys are canonical: the server canonicalizes request headers.
		if strings.HasPrefix(k, "Impersonate-") || strings.HasPrefix(k, "X-Remote-") {
			h.Del(k)
		}
	}
	h.Set(headerUser, u.Name)
	for _, g := range u.Groups {
		h.Add(headerGroup, g)
	}
	for k, vs := range u.Extra {
		for _, v := range vs {
			h.Add(headerExtraPrefix+url.PathEscape(k), v)
		}
	}
}
