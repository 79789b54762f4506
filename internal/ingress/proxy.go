package ingress

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"time"
)

// Upstream timeouts; reads from a streaming backend are not limited.
const (
	dialTimeout           = 5 * time.Second
	responseHeaderTimeout = 60 * time.Second // as ingress-nginx's proxy-read-timeout
	idleConnTimeout       = 90 * time.Second
)

type backendKey struct{}

// proxy forwards requests to the backend stored in the request context.
type proxy struct {
	rp  *httputil.ReverseProxy
	log *slog.Logger
}

func newProxy(log *slog.Logger) *proxy {
	base := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: responseHeaderTimeout,
		IdleConnTimeout:       idleConnTimeout,
		MaxIdleConnsPerHost:   32,
	}
	p := &proxy{log: log}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// Client-sent X-Forwarded-* headers are dropped, not trusted.
			pr.SetXForwarded()
			pr.Out.URL.Scheme = "http"
			pr.Out.Host = pr.In.Host
		},
		Transport: &retryTransport{base: base},
		// Responses the ReverseProxy recognises as streaming (no length,
		// event streams) are flushed at once regardless of this interval.
		FlushInterval: 100 * time.Millisecond,
		ErrorHandler:  p.upstreamError,
	}
	return p
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request, b *backend) {
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), backendKey{}, b)))
}

func (p *proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	b, _ := r.Context().Value(backendKey{}).(*backend)
	p.log.Debug("ingress upstream error", "backend", b.name, "err", err)
	w.WriteHeader(http.StatusBadGateway)
}

// retryTransport sends a request to the backend's endpoints in round-robin
// order, moving on to the next one when a connection cannot be made and the
// request can safely be repeated.
type retryTransport struct {
	base http.RoundTripper
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	b := req.Context().Value(backendKey{}).(*backend)
	var err error
	for _, target := range b.order() {
		// RoundTrippers must not modify req: send a copy with its own URL.
		out, u := *req, *req.URL
		u.Host = target
		out.URL = &u
		var resp *http.Response
		resp, err = t.base.RoundTrip(&out)
		if err == nil || !retryable(req, err) {
			return resp, err
		}
	}
	return nil, err
}

// retryable reports whether err means the request never reached the
// endpoint and req is idempotent without a body to replay.
func retryable(req *http.Request, err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
