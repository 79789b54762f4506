package integration

import (
	"context"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// TestSelfReviews: kubectl auth can-i and auth whoami answer as against
// Kubernetes (every authenticated request is allowed until RBAC is
// enforced, so can-i says yes).
func TestSelfReviews(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	if out := k.must("auth", "can-i", "create", "pods", "-n", "default"); strings.TrimSpace(out) != "yes" {
		t.Errorf("auth can-i: %q, want yes", out)
	}
	if out := k.must("auth", "can-i", "get", "/healthz"); strings.TrimSpace(out) != "yes" {
		t.Errorf("auth can-i for a path: %q, want yes", out)
	}
	out := k.must("auth", "whoami")
	for _, want := range []string{"ATTRIBUTE", "Username", "Groups"} {
		if !strings.Contains(out, want) {
			t.Errorf("auth whoami lacks %q:\n%s", want, out)
		}
	}
	client := kubernetes.NewForConfigOrDie(c.Config)
	_, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authorizationv1.SelfSubjectAccessReview{}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "exactly one of nonResourceAttributes or resourceAttributes must be specified") {
		t.Errorf("empty review: %v, want 422", err)
	}
}
