package apiserver

import (
	"fmt"
	"net/http"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/auth/serviceaccount"
)

// TokenIssuer signs service-account tokens for serviceaccounts/token.
type TokenIssuer interface {
	Issue(req serviceaccount.Request) (token string, expires time.Time, err error)
}

var tokenRequestGVK = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// Token lifetimes Kubernetes accepts: default one hour, at least ten
// minutes, at most 2^32 seconds.
const (
	defaultTokenSeconds = 3600
	minTokenSeconds     = 600
	maxTokenSeconds     = 1 << 32
)

// serveTokenRequest issues a token for a service account (TokenRequest),
// optionally bound to a pod or secret of the same namespace.
func (s *Server) serveTokenRequest(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	tr := &authenticationv1.TokenRequest{}
	if err := decodeBody(w, r, body, tr, tokenRequestGVK); err != nil {
		return err
	}
	if errs := validateTokenRequest(tr); len(errs) > 0 {
		return apierrors.NewInvalid(tokenRequestGVK.GroupKind(), ri.Name, errs)
	}
	sa, err := s.get(r, corev1.SchemeGroupVersion.WithResource("serviceaccounts"), ri.Namespace, ri.Name)
	if err != nil {
		return err
	}
	req := serviceaccount.Request{
		Namespace:      ri.Namespace,
		ServiceAccount: serviceaccount.Ref{Kind: "ServiceAccount", Name: sa.GetName(), UID: sa.GetUID()},
		Audiences:      tr.Spec.Audiences,
		Lifetime:       time.Duration(*tr.Spec.ExpirationSeconds) * time.Second,
	}
	if len(req.Audiences) == 0 {
		req.Audiences = []string{serviceaccount.DefaultIssuer}
	}
	if req.Bound, err = s.boundObject(r, ri, tr.Spec.BoundObjectRef); err != nil {
		return err
	}
	tok, exp, err := s.cfg.Tokens.Issue(req)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	tr.ObjectMeta = metav1.ObjectMeta{Name: ri.Name, Namespace: ri.Namespace, CreationTimestamp: metav1.Now()}
	tr.Spec.Audiences = req.Audiences
	tr.Status = authenticationv1.TokenRequestStatus{Token: tok, ExpirationTimestamp: metav1.NewTime(exp)}
	writeObject(w, out, http.StatusCreated, tr)
	return nil
}

func validateTokenRequest(tr *authenticationv1.TokenRequest) field.ErrorList {
	p := field.NewPath("spec", "expirationSeconds")
	if tr.Spec.ExpirationSeconds == nil {
		secs := int64(defaultTokenSeconds)
		tr.Spec.ExpirationSeconds = &secs
	}
	switch secs := *tr.Spec.ExpirationSeconds; {
	case secs < minTokenSeconds:
		return field.ErrorList{field.Invalid(p, secs, "may not specify a duration less than 10 minutes")}
	case secs > maxTokenSeconds:
		return field.ErrorList{field.Invalid(p, secs, "may not specify a duration larger than 2^32 seconds")}
	}
	if b := tr.Spec.BoundObjectRef; b != nil && b.Kind != "Pod" && b.Kind != "Secret" {
		return field.ErrorList{field.NotSupported(field.NewPath("spec", "boundObjectRef", "kind"), b.Kind, []string{"Pod", "Secret"})}
	}
	return nil
}

// boundObject checks that the pod or secret a token is bound to exists,
// has the given UID, and (for a pod) runs as the same service account.
func (s *Server) boundObject(r *http.Request, ri *requestInfo, b *authenticationv1.BoundObjectReference) (*serviceaccount.Ref, error) {
	if b == nil {
		return nil, nil
	}
	resource := map[string]string{"Pod": "pods", "Secret": "secrets"}[b.Kind]
	obj, err := s.get(r, corev1.SchemeGroupVersion.WithResource(resource), ri.Namespace, b.Name)
	if err != nil {
		return nil, err
	}
	gr := authenticationv1.Resource("tokenrequests")
	if b.UID != "" && b.UID != obj.GetUID() {
		return nil, apierrors.NewConflict(gr, ri.Name, fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", b.UID))
	}
	if pod, ok := obj.(*corev1.Pod); ok && pod.Spec.ServiceAccountName != ri.Name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to pod %q with different service account %q", pod.Name, pod.Spec.ServiceAccountName))
	}
	return &serviceaccount.Ref{Kind: b.Kind, Name: b.Name, UID: obj.GetUID()}, nil
}

// get reads an object of a served resource, newest state (from etcd).
func (s *Server) get(r *http.Request, gvr schema.GroupVersionResource, ns, name string) (metav1.Object, error) {
	st := s.store(gvr)
	if st == nil {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	obj, err := st.Get(r.Context(), ns, name, "")
	if err != nil {
		return nil, err
	}
	return obj.(metav1.Object), nil
}
