package kubelet

import (
	"context"
	"fmt"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTokenNeedsRefresh(t *testing.T) {
	issued := time.Unix(1_700_000_000, 0)
	hour, week := issued.Add(time.Hour), issued.Add(7*24*time.Hour)
	for _, tc := range []struct {
		name    string
		expires time.Time
		age     time.Duration
		want    bool
	}{
		{"fresh", hour, 0, false},
		{"just under 80% of 1h", hour, 48*time.Minute - time.Second, false},
		{"80% of 1h", hour, 48 * time.Minute, true},
		{"expired", hour, 2 * time.Hour, true},
		{"week-long token at 24h", week, 24 * time.Hour, false},
		{"week-long token past 24h", week, 24*time.Hour + time.Second, true},
	} {
		if got := tokenNeedsRefresh(issued.Add(tc.age), issued, tc.expires); got != tc.want {
			t.Errorf("%s: tokenNeedsRefresh = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTokenCacheRefreshesWhenDue(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := newTokenCache(func() time.Time { return now })
	n := 0
	request := func(_ context.Context, _ *corev1.Pod, p *corev1.ServiceAccountTokenProjection) (*authenticationv1.TokenRequest, error) {
		n++
		return &authenticationv1.TokenRequest{
			Spec:   authenticationv1.TokenRequestSpec{ExpirationSeconds: p.ExpirationSeconds},
			Status: authenticationv1.TokenRequestStatus{Token: fmt.Sprint("token-", n), ExpirationTimestamp: metav1.NewTime(now.Add(time.Duration(*p.ExpirationSeconds) * time.Second))},
		}, nil
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: "u"}}
	p := &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: new(int64(3600))}
	get := func() string {
		tok, err := c.get(context.Background(), pod, p, request)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, step := range []struct {
		after time.Duration
		want  string
	}{{0, "token-1"}, {47 * time.Minute, "token-1"}, {time.Minute, "token-2"}, {time.Minute, "token-2"}} {
		now = now.Add(step.after)
		if got := get(); got != step.want {
			t.Fatalf("after %s more: %s, want %s", step.after, got, step.want)
		}
	}
	c.forget(pod.UID)
	if got := get(); got != "token-3" {
		t.Errorf("after forget: %s, want token-3", got)
	}
}
