package kubelet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// maxTokenAge is how long a projected token is used at most, whatever
// its lifetime (Kubernetes' token manager rule).
const maxTokenAge = 24 * time.Hour

// tokenCache keeps the projected service-account tokens of the node's
// pods, so that a volume refresh rewrites a token only when it is due.
// Safe for concurrent use.
type tokenCache struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]cachedToken
}

type cachedToken struct {
	token           string
	issued, expires time.Time
}

// tokenRequester asks the API for a token (Kubelet.requestToken).
type tokenRequester func(context.Context, *corev1.Pod, *corev1.ServiceAccountTokenProjection) (*authenticationv1.TokenRequest, error)

func newTokenCache(now func() time.Time) *tokenCache {
	return &tokenCache{now: now, entries: map[string]cachedToken{}}
}

// get returns the pod's cached token for p, requesting a new one when
// there is none or it needs a refresh.
func (c *tokenCache) get(ctx context.Context, pod *corev1.Pod, p *corev1.ServiceAccountTokenProjection, request tokenRequester) (string, error) {
	key := fmt.Sprintf("%s/%s/%s/%d", pod.UID, pod.Spec.ServiceAccountName, p.Audience, expirationSeconds(p))
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && !tokenNeedsRefresh(c.now(), e.issued, e.expires) {
		return e.token, nil
	}
	tr, err := request(ctx, pod, p)
	if err != nil {
		return "", err
	}
	e = cachedToken{token: tr.Status.Token, expires: tr.Status.ExpirationTimestamp.Time}
	// The server may shorten the lifetime; the issue time follows from
	// the granted one, as Kubernetes derives it.
	e.issued = e.expires.Add(-time.Duration(expirationSeconds(p)) * time.Second)
	if tr.Spec.ExpirationSeconds != nil {
		e.issued = e.expires.Add(-time.Duration(*tr.Spec.ExpirationSeconds) * time.Second)
	}
	c.mu.Lock()
	c.entries[key] = e
	c.mu.Unlock()
	return e.token, nil
}

// forget drops a pod's tokens.
func (c *tokenCache) forget(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if strings.HasPrefix(k, string(uid)+"/") {
			delete(c.entries, k)
		}
	}
}

// tokenNeedsRefresh is Kubernetes' rule: a token is replaced once 80 % of
// its lifetime has passed or it is older than 24 h.
func tokenNeedsRefresh(now, issued, expires time.Time) bool {
	ttl := expires.Sub(issued)
	return !now.Before(expires.Add(-ttl/5)) || now.Sub(issued) > maxTokenAge
}

func expirationSeconds(p *corev1.ServiceAccountTokenProjection) int64 {
	if p.ExpirationSeconds != nil {
		return *p.ExpirationSeconds
	}
	return 3600
}
