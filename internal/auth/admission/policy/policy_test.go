package policy

import (
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

func TestFailureMessage(t *testing.T) {
	vars := map[string]any{"object": map[string]any{"spec": map[string]any{"replicas": int64(7)}}}
	cases := []struct {
		v    admissionregv1.Validation
		want string
	}{
		{admissionregv1.Validation{Expression: " object.spec.replicas <= 5 "}, "failed expression: object.spec.replicas <= 5"},
		{admissionregv1.Validation{Expression: "false", Message: "too many"}, "too many"},
		{admissionregv1.Validation{Expression: "false", Message: "too many", MessageExpression: "'got ' + string(object.spec.replicas)"}, "got 7"},
		{admissionregv1.Validation{Expression: "false", Message: "too many", MessageExpression: "'  '"}, "too many"},
	}
	for _, c := range cases {
		if got := failureMessage(&c.v, vars); got != c.want {
			t.Errorf("%+v: %q, want %q", c.v, got, c.want)
		}
	}
}

func TestDenial(t *testing.T) {
	e := entry{&admissionregv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"}}, &admissionregv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}}}
	a := &generic.Attributes{Name: "web", Resource: registry.Resource{GroupVersionResource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}}}
	err := denial(e, a, decision{message: "no"}).(*apierrors.StatusError)
	want := `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: no`
	if err.Error() != want || err.ErrStatus.Code != 422 || err.ErrStatus.Reason != metav1.StatusReasonInvalid {
		t.Errorf("got %d %s %q", err.ErrStatus.Code, err.ErrStatus.Reason, err.Error())
	}
	err = denial(e, a, decision{message: "no", reason: metav1.StatusReasonForbidden}).(*apierrors.StatusError)
	if err.ErrStatus.Code != 403 {
		t.Errorf("Forbidden reason: code %d", err.ErrStatus.Code)
	}
}
