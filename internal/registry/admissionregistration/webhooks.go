package admissionregistration

import (
	"fmt"
	"net/url"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// AcceptedReviewVersions are the AdmissionReview versions skiff can send,
// in order of preference.
var AcceptedReviewVersions = []string{"v1", "v1beta1"}

func defaultValidatingConfig(obj runtime.Object) {
	c := obj.(*admissionv1.ValidatingWebhookConfiguration)
	for i := range c.Webhooks {
		h := &c.Webhooks[i]
		defaultWebhook(&h.FailurePolicy, &h.MatchPolicy, &h.NamespaceSelector, &h.ObjectSelector, &h.TimeoutSeconds, &h.ClientConfig)
		defaultRules(h.Rules)
	}
}

func defaultMutatingConfig(obj runtime.Object) {
	c := obj.(*admissionv1.MutatingWebhookConfiguration)
	for i := range c.Webhooks {
		h := &c.Webhooks[i]
		defaultWebhook(&h.FailurePolicy, &h.MatchPolicy, &h.NamespaceSelector, &h.ObjectSelector, &h.TimeoutSeconds, &h.ClientConfig)
		defaultRules(h.Rules)
		if h.ReinvocationPolicy == nil {
			h.ReinvocationPolicy = new(admissionv1.NeverReinvocationPolicy)
		}
	}
}

// defaultWebhook fills what v1 defaults in both webhook kinds.
func defaultWebhook(fp **admissionv1.FailurePolicyType, mp **admissionv1.MatchPolicyType, nsSel, objSel **metav1.LabelSelector, timeout **int32, cc *admissionv1.WebhookClientConfig) {
	if *fp == nil {
		*fp = new(admissionv1.Fail)
	}
	defaultMatch(mp, nsSel, objSel)
	if *timeout == nil {
		*timeout = new(int32(10))
	}
	if s := cc.Service; s != nil && s.Port == nil {
		s.Port = new(int32(443))
	}
}

// defaultMatch fills the matching defaults webhooks and policies share.
func defaultMatch(mp **admissionv1.MatchPolicyType, nsSel, objSel **metav1.LabelSelector) {
	if *mp == nil {
		*mp = new(admissionv1.Equivalent)
	}
	if *nsSel == nil {
		*nsSel = &metav1.LabelSelector{}
	}
	if *objSel == nil {
		*objSel = &metav1.LabelSelector{}
	}
}

func defaultRules(rules []admissionv1.RuleWithOperations) {
	for i := range rules {
		if rules[i].Scope == nil {
			rules[i].Scope = new(admissionv1.AllScopes)
		}
	}
}

// hookCommon is what validation checks in both webhook kinds.
type hookCommon struct {
	name           string
	clientConfig   admissionv1.WebhookClientConfig
	rules          []admissionv1.RuleWithOperations
	failurePolicy  *admissionv1.FailurePolicyType
	matchPolicy    *admissionv1.MatchPolicyType
	nsSel, objSel  *metav1.LabelSelector
	sideEffects    *admissionv1.SideEffectClass
	timeout        *int32
	reviewVersions []string
	conditions     []admissionv1.MatchCondition
}

func validateValidatingConfig(obj runtime.Object) field.ErrorList {
	c := obj.(*admissionv1.ValidatingWebhookConfiguration)
	hooks := make([]hookCommon, len(c.Webhooks))
	for i, h := range c.Webhooks {
		hooks[i] = hookCommon{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions}
	}
	return validateHooks(hooks, nil)
}

var reinvocationPolicies = []admissionv1.ReinvocationPolicyType{admissionv1.NeverReinvocationPolicy, admissionv1.IfNeededReinvocationPolicy}

func validateMutatingConfig(obj runtime.Object) field.ErrorList {
	c := obj.(*admissionv1.MutatingWebhookConfiguration)
	hooks := make([]hookCommon, len(c.Webhooks))
	var errs field.ErrorList
	for i, h := range c.Webhooks {
		hooks[i] = hookCommon{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions}
		if p := h.ReinvocationPolicy; p != nil {
			errs = append(errs, rest.Enum(*p, field.NewPath("webhooks").Index(i).Child("reinvocationPolicy"), reinvocationPolicies...)...)
		}
	}
	return validateHooks(hooks, errs)
}

func validateHooks(hooks []hookCommon, errs field.ErrorList) field.ErrorList {
	seen := sets.New[string]()
	for i, h := range hooks {
		p := field.NewPath("webhooks").Index(i)
		if seen.Has(h.name) {
			errs = append(errs, field.Duplicate(p.Child("name"), h.name))
		}
		seen.Insert(h.name)
		errs = append(errs, validateHook(&h, p)...)
	}
	return errs
}

var (
	failurePolicies = []admissionv1.FailurePolicyType{admissionv1.Fail, admissionv1.Ignore}
	matchPolicies   = []admissionv1.MatchPolicyType{admissionv1.Exact, admissionv1.Equivalent}
	noSideEffects   = []string{string(admissionv1.SideEffectClassNone), string(admissionv1.SideEffectClassNoneOnDryRun)}
)

func validateHook(h *hookCommon, p *field.Path) field.ErrorList {
	errs := validation.IsFullyQualifiedName(p.Child("name"), h.name)
	for i, r := range h.rules {
		errs = append(errs, validateRuleWithOperations(&r, p.Child("rules").Index(i))...)
	}
	if h.failurePolicy != nil {
		errs = append(errs, rest.Enum(*h.failurePolicy, p.Child("failurePolicy"), failurePolicies...)...)
	}
	if h.matchPolicy != nil {
		errs = append(errs, rest.Enum(*h.matchPolicy, p.Child("matchPolicy"), matchPolicies...)...)
	}
	switch {
	case h.sideEffects == nil:
		errs = append(errs, field.Required(p.Child("sideEffects"), fmt.Sprintf("must specify one of %v", strings.Join(noSideEffects, ", "))))
	case !sets.New(noSideEffects...).Has(string(*h.sideEffects)):
		errs = append(errs, field.NotSupported(p.Child("sideEffects"), *h.sideEffects, noSideEffects))
	}
	if t := h.timeout; t != nil && (*t < 1 || *t > 30) {
		errs = append(errs, field.Invalid(p.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
	}
	errs = append(errs, validateSelectors(h.nsSel, h.objSel, p)...)
	errs = append(errs, validateReviewVersions(h.reviewVersions, p.Child("admissionReviewVersions"))...)
	errs = append(errs, validateMatchConditions(h.conditions, p.Child("matchConditions"))...)
	return append(errs, validateClientConfig(&h.clientConfig, p.Child("clientConfig"))...)
}

func validateSelectors(nsSel, objSel *metav1.LabelSelector, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	opts := metav1validation.LabelSelectorValidationOptions{}
	if nsSel != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(nsSel, opts, p.Child("namespaceSelector"))...)
	}
	if objSel != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(objSel, opts, p.Child("objectSelector"))...)
	}
	return errs
}

func validateReviewVersions(versions []string, p *field.Path) field.ErrorList {
	if len(versions) == 0 {
		return field.ErrorList{field.Required(p, fmt.Sprintf("must specify one of %v", strings.Join(AcceptedReviewVersions, ", ")))}
	}
	var errs field.ErrorList
	seen, accepted := sets.New[string](), false
	for i, v := range versions {
		for _, msg := range validation.IsDNS1035Label(v) {
			errs = append(errs, field.Invalid(p.Index(i), v, msg))
		}
		if seen.Has(v) {
			errs = append(errs, field.Invalid(p.Index(i), v, "duplicate version"))
		}
		seen.Insert(v)
		accepted = accepted || sets.New(AcceptedReviewVersions...).Has(v)
	}
	if !accepted {
		errs = append(errs, field.Invalid(p, versions, fmt.Sprintf("must include at least one of %v", strings.Join(AcceptedReviewVersions, ", "))))
	}
	return errs
}

func validateClientConfig(cc *admissionv1.WebhookClientConfig, p *field.Path) field.ErrorList {
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		return field.ErrorList{field.Required(p, "exactly one of url or service is required")}
	case cc.URL != nil:
		return validateURL(*cc.URL, p.Child("url"))
	}
	return validateService(cc.Service, p.Child("service"))
}

const urlForm = "; desired format: https://host[/path]"

func validateURL(raw string, p *field.Path) field.ErrorList {
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Required(p, "url must be a valid URL: "+err.Error()+urlForm)}
	}
	var errs field.ErrorList
	if u.Scheme != "https" {
		errs = append(errs, field.Invalid(p, u.Scheme, "'https' is the only allowed URL scheme"+urlForm))
	}
	if u.Host == "" {
		errs = append(errs, field.Invalid(p, u.Host, "host must be specified"+urlForm))
	}
	if u.User != nil {
		errs = append(errs, field.Invalid(p, u.User.String(), "user information is not permitted in the URL"))
	}
	if u.Fragment != "" {
		errs = append(errs, field.Invalid(p, u.Fragment, "fragments are not permitted in the URL"))
	}
	if u.RawQuery != "" {
		errs = append(errs, field.Invalid(p, u.RawQuery, "query parameters are not permitted in the URL"))
	}
	return errs
}

func validateService(s *admissionv1.ServiceReference, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "service name is required"))
	}
	if s.Namespace == "" {
		errs = append(errs, field.Required(p.Child("namespace"), "service namespace is required"))
	}
	if s.Port != nil {
		for _, msg := range validation.IsValidPortNum(int(*s.Port)) {
			errs = append(errs, field.Invalid(p.Child("port"), *s.Port, "port is not valid: "+msg))
		}
	}
	if s.Path == nil {
		return errs
	}
	switch path := *s.Path; {
	case path == "/":
	case !strings.HasPrefix(path, "/"):
		errs = append(errs, field.Invalid(p.Child("path"), path, "must start with a '/'"))
	case strings.Contains(path, "//"):
		errs = append(errs, field.Invalid(p.Child("path"), path, "segment[0] may not be empty"))
	}
	return errs
}
