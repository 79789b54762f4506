package admissionregistration

import (
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

func defaultPolicy(obj runtime.Object) {
	spec := &obj.(*admissionv1.ValidatingAdmissionPolicy).Spec
	if spec.FailurePolicy == nil {
		spec.FailurePolicy = new(admissionv1.Fail)
	}
	defaultMatchResources(spec.MatchConstraints)
}

func defaultBinding(obj runtime.Object) {
	defaultMatchResources(obj.(*admissionv1.ValidatingAdmissionPolicyBinding).Spec.MatchResources)
}

func defaultMatchResources(m *admissionv1.MatchResources) {
	if m == nil {
		return
	}
	defaultMatch(&m.MatchPolicy, &m.NamespaceSelector, &m.ObjectSelector)
	for _, rules := range [][]admissionv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				rules[i].Scope = new(admissionv1.AllScopes)
			}
		}
	}
}

var (
	specPath = field.NewPath("spec")
	reasons  = []metav1.StatusReason{metav1.StatusReasonUnauthorized, metav1.StatusReasonForbidden, metav1.StatusReasonInvalid, metav1.StatusReasonRequestEntityTooLarge}
)

func validatePolicy(obj runtime.Object) field.ErrorList {
	spec := &obj.(*admissionv1.ValidatingAdmissionPolicy).Spec
	var errs field.ErrorList
	if spec.FailurePolicy != nil {
		errs = append(errs, rest.Enum(*spec.FailurePolicy, specPath.Child("failurePolicy"), failurePolicies...)...)
	}
	errs = append(errs, validateParamKind(spec.ParamKind, specPath.Child("paramKind"))...)
	if spec.MatchConstraints == nil {
		errs = append(errs, field.Required(specPath.Child("matchConstraints"), ""))
	} else {
		errs = append(errs, validateMatchResources(spec.MatchConstraints, specPath.Child("matchConstraints"), true)...)
	}
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		errs = append(errs, field.Required(specPath.Child("validations"), "validations or auditAnnotations must contain at least one item"))
	}
	for i := range spec.Validations {
		errs = append(errs, validateValidation(&spec.Validations[i], specPath.Child("validations").Index(i))...)
	}
	for i, v := range spec.Variables {
		p := specPath.Child("variables").Index(i)
		if v.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), "name is not specified"))
		}
		if v.Expression == "" {
			errs = append(errs, field.Required(p.Child("expression"), "expression is not specified"))
		} else {
			errs = append(errs, checkTyped(v.Expression, cel.DynType, p.Child("expression"))...)
		}
	}
	return append(errs, validateMatchConditions(spec.MatchConditions, specPath.Child("matchConditions"))...)
}

func validateParamKind(pk *admissionv1.ParamKind, p *field.Path) field.ErrorList {
	if pk == nil {
		return nil
	}
	var errs field.ErrorList
	if pk.APIVersion == "" {
		errs = append(errs, field.Required(p.Child("apiVersion"), ""))
	} else if _, err := schema.ParseGroupVersion(pk.APIVersion); err != nil {
		errs = append(errs, field.Invalid(p.Child("apiVersion"), pk.APIVersion, err.Error()))
	}
	if pk.Kind == "" {
		errs = append(errs, field.Required(p.Child("kind"), ""))
	}
	return errs
}

// validateMatchResources checks selectors, matchPolicy and rules; a
// policy's constraints need at least one resource rule.
func validateMatchResources(m *admissionv1.MatchResources, p *field.Path, needRules bool) field.ErrorList {
	errs := validateSelectors(m.NamespaceSelector, m.ObjectSelector, p)
	if m.MatchPolicy != nil {
		errs = append(errs, rest.Enum(*m.MatchPolicy, p.Child("matchPolicy"), matchPolicies...)...)
	}
	if needRules && len(m.ResourceRules) == 0 {
		errs = append(errs, field.Required(p.Child("resourceRules"), ""))
	}
	for i, r := range m.ResourceRules {
		errs = append(errs, validateRuleWithOperations(&r.RuleWithOperations, p.Child("resourceRules").Index(i))...)
	}
	for i, r := range m.ExcludeResourceRules {
		errs = append(errs, validateRuleWithOperations(&r.RuleWithOperations, p.Child("excludeResourceRules").Index(i))...)
	}
	return errs
}

func validateValidation(v *admissionv1.Validation, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if v.Expression == "" {
		errs = append(errs, field.Required(p.Child("expression"), "expression is not specified"))
	} else {
		errs = append(errs, checkExpression(v.Expression, p.Child("expression"))...)
	}
	switch {
	case v.Message != "" && strings.TrimSpace(v.Message) == "":
		errs = append(errs, field.Invalid(p.Child("message"), v.Message, "message must be non-empty if specified"))
	case strings.Contains(v.Message, "\n"):
		errs = append(errs, field.Invalid(p.Child("message"), v.Message, "message must not contain line breaks"))
	}
	if v.MessageExpression != "" {
		errs = append(errs, checkTyped(v.MessageExpression, cel.StringType, p.Child("messageExpression"))...)
	}
	if v.Reason != nil && !slices.Contains(reasons, *v.Reason) {
		errs = append(errs, field.NotSupported(p.Child("reason"), *v.Reason, reasons))
	}
	return errs
}

var (
	validationActions = []admissionv1.ValidationAction{admissionv1.Deny, admissionv1.Warn, admissionv1.Audit}
	notFoundActions   = []admissionv1.ParameterNotFoundActionType{admissionv1.AllowAction, admissionv1.DenyAction}
)

func validateBinding(obj runtime.Object) field.ErrorList {
	spec := &obj.(*admissionv1.ValidatingAdmissionPolicyBinding).Spec
	var errs field.ErrorList
	if spec.PolicyName == "" {
		errs = append(errs, field.Required(specPath.Child("policyName"), ""))
	}
	if m := spec.MatchResources; m != nil {
		errs = append(errs, validateMatchResources(m, specPath.Child("matchResources"), false)...)
	}
	errs = append(errs, validateParamRef(spec.ParamRef, specPath.Child("paramRef"))...)
	return append(errs, validateActions(spec.ValidationActions, specPath.Child("validationActions"))...)
}

func validateParamRef(r *admissionv1.ParamRef, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	switch {
	case r.Name != "" && r.Selector != nil:
		errs = append(errs, field.Forbidden(p.Child("name"), "name and selector are mutually exclusive"))
	case r.Name == "" && r.Selector == nil:
		errs = append(errs, field.Required(p, "one of name or selector must be specified"))
	}
	if r.ParameterNotFoundAction == nil {
		errs = append(errs, field.Required(p.Child("parameterNotFoundAction"), ""))
	} else {
		errs = append(errs, rest.Enum(*r.ParameterNotFoundAction, p.Child("parameterNotFoundAction"), notFoundActions...)...)
	}
	return errs
}

func validateActions(actions []admissionv1.ValidationAction, p *field.Path) field.ErrorList {
	if len(actions) == 0 {
		return field.ErrorList{field.Required(p, "at least one validation action is required")}
	}
	var errs field.ErrorList
	seen := sets.New[admissionv1.ValidationAction]()
	for i, a := range actions {
		if seen.Has(a) {
			errs = append(errs, field.Duplicate(p.Index(i), a))
		}
		seen.Insert(a)
		if !slices.Contains(validationActions, a) {
			errs = append(errs, field.NotSupported(p.Index(i), a, validationActions))
		}
	}
	if seen.Has(admissionv1.Deny) && seen.Has(admissionv1.Warn) {
		errs = append(errs, field.Invalid(p, actions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	return errs
}
