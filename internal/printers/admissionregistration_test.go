package printers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestAdmissionRegistration(t *testing.T) {
	om := metav1.ObjectMeta{Name: "x", CreationTimestamp: metav1.NewTime(now.Add(-90e9))}
	cases := []struct {
		obj  runtime.Object
		want []any
	}{
		{&admissionv1.ValidatingWebhookConfiguration{ObjectMeta: om, Webhooks: make([]admissionv1.ValidatingWebhook, 2)}, []any{"x", int64(2), "90s"}},
		{&admissionv1.MutatingWebhookConfiguration{ObjectMeta: om}, []any{"x", int64(0), "90s"}},
		{&admissionv1.ValidatingAdmissionPolicy{ObjectMeta: om, Spec: admissionv1.ValidatingAdmissionPolicySpec{
			Validations: make([]admissionv1.Validation, 1), ParamKind: &admissionv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
		}}, []any{"x", int64(1), "v1/ConfigMap", "90s"}},
		{&admissionv1.ValidatingAdmissionPolicyBinding{ObjectMeta: om, Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: "p", ParamRef: &admissionv1.ParamRef{Name: "limits"},
		}}, []any{"x", "p", "*/limits", "90s"}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, cells(t, c.obj)); diff != "" {
			t.Errorf("%T (-want +got):\n%s", c.obj, diff)
		}
	}
}
