package printers

import (
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var admissionKinds = map[schema.GroupVersionKind]printer{
	admissionv1.SchemeGroupVersion.WithKind("MutatingWebhookConfiguration"):     {webhookColumns, typed(mutatingRow)},
	admissionv1.SchemeGroupVersion.WithKind("ValidatingWebhookConfiguration"):   {webhookColumns, typed(validatingRow)},
	admissionv1.SchemeGroupVersion.WithKind("ValidatingAdmissionPolicy"):        {policyColumns, typed(policyRow)},
	admissionv1.SchemeGroupVersion.WithKind("ValidatingAdmissionPolicyBinding"): {policyBindingColumns, typed(policyBindingRow)},
}

var webhookColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration"), ageColumn,
}

func mutatingRow(c *admissionv1.MutatingWebhookConfiguration, now time.Time) []any {
	return []any{c.Name, int64(len(c.Webhooks)), age(c.CreationTimestamp, now)}
}

func validatingRow(c *admissionv1.ValidatingWebhookConfiguration, now time.Time) []any {
	return []any{c.Name, int64(len(c.Webhooks)), age(c.CreationTimestamp, now)}
}

var policyColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Validations", "integer", "Validations indicates the number of validation rules defined in this configuration"),
	col("ParamKind", "string", "ParamKind specifies the kind of resources used to parameterize this policy"),
	ageColumn,
}

func policyRow(p *admissionv1.ValidatingAdmissionPolicy, now time.Time) []any {
	kind := "<unset>"
	if pk := p.Spec.ParamKind; pk != nil {
		kind = pk.APIVersion + "/" + pk.Kind
	}
	return []any{p.Name, int64(len(p.Spec.Validations)), kind, age(p.CreationTimestamp, now)}
}

var policyBindingColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("PolicyName", "string", "PolicyName indicates the policy definition which the policy binding binded to"),
	col("ParamRef", "string", "ParamRef indicates the param resource which sets the configration param"),
	ageColumn,
}

// policyBindingRow shows the param as Kubernetes does: namespace/name,
// "*/name" for a name in every namespace, or the selector.
func policyBindingRow(b *admissionv1.ValidatingAdmissionPolicyBinding, now time.Time) []any {
	param := "<unset>"
	switch r := b.Spec.ParamRef; {
	case r == nil:
	case r.Name != "" && r.Namespace != "":
		param = r.Namespace + "/" + r.Name
	case r.Name != "":
		param = "*/" + r.Name
	case r.Selector != nil:
		param = r.Selector.String()
	}
	return []any{b.Name, b.Spec.PolicyName, param, age(b.CreationTimestamp, now)}
}
