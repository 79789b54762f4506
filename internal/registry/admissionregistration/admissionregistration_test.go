package admissionregistration

import (
	"slices"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func errPaths(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	slices.Sort(out)
	return out
}

func create(t *testing.T, resource string, obj runtime.Object, want ...string) {
	t.Helper()
	s := Strategies()[resource]
	s.Default(obj)
	s.PrepareForCreate(obj)
	if got := errPaths(s.Validate(obj)); !slices.Equal(got, want) {
		t.Errorf("errors %v, want %v", got, want)
	}
}

func hook(name, url string) admissionv1.ValidatingWebhook {
	return admissionv1.ValidatingWebhook{
		Name: name, ClientConfig: admissionv1.WebhookClientConfig{URL: &url},
		SideEffects: new(admissionv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
		Rules: []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{"CREATE"}, Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
	}
}

func TestWebhookDefaults(t *testing.T) {
	c := &admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Webhooks: []admissionv1.MutatingWebhook{{
		Name: "a.example.com", SideEffects: new(admissionv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
		ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: "ns", Name: "svc"}},
		Rules:        []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{"*"}, Rule: admissionv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*/*"}}}},
	}}}
	create(t, "mutatingwebhookconfigurations", c)
	h := c.Webhooks[0]
	if *h.FailurePolicy != admissionv1.Fail || *h.MatchPolicy != admissionv1.Equivalent || *h.TimeoutSeconds != 10 ||
		*h.ReinvocationPolicy != admissionv1.NeverReinvocationPolicy || h.NamespaceSelector == nil || h.ObjectSelector == nil ||
		*h.Rules[0].Scope != admissionv1.AllScopes || *h.ClientConfig.Service.Port != 443 {
		t.Errorf("not defaulted: %+v", h)
	}
}

func TestWebhookValidation(t *testing.T) {
	cfg := func(mut func(*admissionv1.ValidatingWebhook)) *admissionv1.ValidatingWebhookConfiguration {
		h := hook("deny.example.com", "https://127.0.0.1:8443/validate")
		mut(&h)
		return &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Webhooks: []admissionv1.ValidatingWebhook{h}}
	}
	cases := []struct {
		name string
		mut  func(*admissionv1.ValidatingWebhook)
		want []string
	}{
		{"valid", func(*admissionv1.ValidatingWebhook) {}, nil},
		{"two-segment name", func(h *admissionv1.ValidatingWebhook) { h.Name = "deny.com" }, []string{"FieldValueInvalid webhooks[0].name"}},
		{"http url", func(h *admissionv1.ValidatingWebhook) { h.ClientConfig.URL = new("http://x.example.com/") }, []string{"FieldValueInvalid webhooks[0].clientConfig.url"}},
		{"url and service", func(h *admissionv1.ValidatingWebhook) {
			h.ClientConfig.Service = &admissionv1.ServiceReference{Name: "s", Namespace: "n"}
		}, []string{"FieldValueRequired webhooks[0].clientConfig"}},
		{"no side effects", func(h *admissionv1.ValidatingWebhook) { h.SideEffects = nil }, []string{"FieldValueRequired webhooks[0].sideEffects"}},
		{"side effects Some", func(h *admissionv1.ValidatingWebhook) { h.SideEffects = new(admissionv1.SideEffectClassSome) }, []string{"FieldValueNotSupported webhooks[0].sideEffects"}},
		{"review versions", func(h *admissionv1.ValidatingWebhook) { h.AdmissionReviewVersions = []string{"v2"} }, []string{"FieldValueInvalid webhooks[0].admissionReviewVersions"}},
		{"timeout", func(h *admissionv1.ValidatingWebhook) { h.TimeoutSeconds = new(int32(31)) }, []string{"FieldValueInvalid webhooks[0].timeoutSeconds"}},
		{"rule", func(h *admissionv1.ValidatingWebhook) {
			h.Rules[0].Operations = []admissionv1.OperationType{"*", "CREATE"}
			h.Rules[0].Resources = []string{"*", "pods"}
		}, []string{"FieldValueInvalid webhooks[0].rules[0].operations", "FieldValueInvalid webhooks[0].rules[0].resources"}},
		{"match condition", func(h *admissionv1.ValidatingWebhook) {
			h.MatchConditions = []admissionv1.MatchCondition{{Name: "c", Expression: "object.x +"}}
		}, []string{"FieldValueInvalid webhooks[0].matchConditions[0].expression"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { create(t, "validatingwebhookconfigurations", cfg(c.mut), c.want...) })
	}
	dup := cfg(func(*admissionv1.ValidatingWebhook) {})
	dup.Webhooks = append(dup.Webhooks, dup.Webhooks[0])
	create(t, "validatingwebhookconfigurations", dup, "FieldValueDuplicate webhooks[1].name")
}

func TestPolicyValidation(t *testing.T) {
	p := &admissionv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: admissionv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{RuleWithOperations: admissionv1.RuleWithOperations{
			Operations: []admissionv1.OperationType{"CREATE"}, Rule: admissionv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
		}}}},
		Validations: []admissionv1.Validation{{Expression: "object.spec.replicas <= 5"}, {Expression: "1 + "}, {Expression: "'a'"}},
	}, Status: admissionv1.ValidatingAdmissionPolicyStatus{ObservedGeneration: 3}}
	create(t, "validatingadmissionpolicies", p, "FieldValueInvalid spec.validations[1].expression", "FieldValueInvalid spec.validations[2].expression")
	if *p.Spec.FailurePolicy != admissionv1.Fail || *p.Spec.MatchConstraints.MatchPolicy != admissionv1.Equivalent || p.Status.ObservedGeneration != 0 {
		t.Errorf("not defaulted or status kept: %+v", p)
	}
	create(t, "validatingadmissionpolicies", &admissionv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"}},
		"FieldValueRequired spec.matchConstraints", "FieldValueRequired spec.validations")
}

func TestBindingValidation(t *testing.T) {
	b := &admissionv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
		ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny, admissionv1.Warn},
		ParamRef:          &admissionv1.ParamRef{Name: "x"},
	}}
	create(t, "validatingadmissionpolicybindings", b, "FieldValueInvalid spec.validationActions",
		"FieldValueRequired spec.paramRef.parameterNotFoundAction", "FieldValueRequired spec.policyName")
}
