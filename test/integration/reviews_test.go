package integration

import (
	"context"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/google/go-cmp/cmp"

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

// TestAuthCanIListAndImpersonation: can-i --list reads a
// SelfSubjectRulesReview (AlwaysAllow's rules), and --as impersonates.
func TestAuthCanIListAndImpersonation(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	out := k.must("auth", "can-i", "--list", "-n", "default")
	if !strings.Contains(out, "*.*") || !strings.Contains(out, "[*]") {
		t.Errorf("auth can-i --list lacks the allow-all rules:\n%s", out)
	}
	if out := k.must("auth", "can-i", "create", "pods", "--as=jane"); strings.TrimSpace(out) != "yes" {
		t.Errorf("auth can-i --as=jane: %q, want yes", out)
	}
	out = k.must("auth", "whoami", "--as=jane", "--as-group=devs", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
	if out != `jane ["devs","system:authenticated"]` {
		t.Errorf("whoami --as=jane --as-group=devs: %q", out)
	}
	if out, err := k.run("get", "pods", "--as-group=devs"); err == nil || !strings.Contains(out, "without impersonating a user") {
		t.Errorf("--as-group alone: %v\n%s", err, out)
	}
}

// TestSubjectAccessReviews: a review for another user, its 422 without a
// subject, the namespaced kind and its namespace rule, and the rules review.
func TestSubjectAccessReviews(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	az := kubernetes.NewForConfigOrDie(c.Config).AuthorizationV1()
	attrs := &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Namespace: "default"}
	sar, err := az.SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "jane", ResourceAttributes: attrs}}, metav1.CreateOptions{})
	if err != nil || !sar.Status.Allowed {
		t.Fatalf("SubjectAccessReview for jane: %+v, %v", sar, err)
	}
	_, err = az.SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: attrs}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.user: Invalid value: \"\": at least one of user or group must be specified") {
		t.Errorf("no subject: %v, want 422", err)
	}
	local := &authorizationv1.LocalSubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"devs"}, ResourceAttributes: attrs}}
	lsar, err := az.LocalSubjectAccessReviews("default").Create(ctx, local, metav1.CreateOptions{})
	if err != nil || !lsar.Status.Allowed || lsar.Namespace != "default" {
		t.Fatalf("LocalSubjectAccessReview: %+v, %v", lsar, err)
	}
	_, err = az.LocalSubjectAccessReviews("kube-system").Create(ctx, local, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "spec.resourceAttributes.namespace must match namespace: kube-system") {
		t.Errorf("namespace mismatch: %v, want 400", err)
	}
	rules, err := az.SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    []authorizationv1.ResourceRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}},
		NonResourceRules: []authorizationv1.NonResourceRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
	}
	if diff := cmp.Diff(want, rules.Status); diff != "" {
		t.Errorf("rules review (-want +got):\n%s", diff)
	}
	_, err = az.SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "no namespace on request") {
		t.Errorf("rules review without namespace: %v, want 400", err)
	}
}

// TestTokenReview: service-account tokens are checked for the asked
// audiences (the API server's when none), unknown tokens are refused.
func TestTokenReview(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(c.Config)
	sa, err := client.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := func(auds ...string) string {
		tr, err := client.CoreV1().ServiceAccounts("default").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: auds}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	review := func(tok string, auds ...string) authenticationv1.TokenReviewStatus {
		t.Helper()
		r, err := client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: tok, Audiences: auds}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	st := review(token())
	if !st.Authenticated || st.User.Username != "system:serviceaccount:default:robot" || st.User.UID != string(sa.UID) || len(st.Audiences) != 1 {
		t.Errorf("default-audience token: %+v", st)
	}
	if st := review(token("vault"), "vault", "other"); !st.Authenticated || !slices.Equal(st.Audiences, []string{"vault"}) {
		t.Errorf("vault token for vault: %+v", st)
	}
	if st := review(token("vault")); st.Authenticated || !strings.Contains(st.Error, "is invalid for the target audiences") {
		t.Errorf("vault token for the API server: %+v", st)
	}
	if st := review("not-a-token"); st.Authenticated || st.Error != "invalid bearer token" {
		t.Errorf("garbage token: %+v", st)
	}
	_, err = client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("empty token: %v, want 400", err)
	}
}
