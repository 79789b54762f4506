package policy

import (
	"context"
	"slices"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/auth/admission/webhook"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// matches reports whether both the policy's matchConstraints and the
// binding's matchResources (when set) select the request.
func (p *Plugin) matches(ctx context.Context, e entry, a *generic.Attributes) (bool, error) {
	mc := e.policy.Spec.MatchConstraints
	if mc == nil {
		return false, nil
	}
	ok, err := p.resourcesMatch(ctx, mc, a, false)
	if err != nil || !ok {
		return ok, err
	}
	if mr := e.binding.Spec.MatchResources; mr != nil {
		return p.resourcesMatch(ctx, mr, a, true)
	}
	return true, nil
}

// resourcesMatch applies one MatchResources; a binding's may leave
// resourceRules empty to take all the policy matches.
func (p *Plugin) resourcesMatch(ctx context.Context, m *admissionregv1.MatchResources, a *generic.Attributes, emptyMeansAll bool) (bool, error) {
	equivalent := m.MatchPolicy == nil || *m.MatchPolicy == admissionregv1.Equivalent
	if !(emptyMeansAll && len(m.ResourceRules) == 0) && !namedRulesMatch(m.ResourceRules, a, equivalent) {
		return false, nil
	}
	if namedRulesMatch(m.ExcludeResourceRules, a, equivalent) {
		return false, nil
	}
	objSel, err := selector(m.ObjectSelector)
	if err != nil {
		return false, err
	}
	if !webhook.ObjectLabelsMatch(objSel, a) {
		return false, nil
	}
	nsSel, err := selector(m.NamespaceSelector)
	if err != nil {
		return false, err
	}
	return webhook.NamespaceMatches(ctx, p.cfg.Namespaces, nsSel, a)
}

func namedRulesMatch(rules []admissionregv1.NamedRuleWithOperations, a *generic.Attributes, equivalent bool) bool {
	return slices.ContainsFunc(rules, func(r admissionregv1.NamedRuleWithOperations) bool {
		return (len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, a.Name)) && webhook.RuleMatches(&r.RuleWithOperations, a, equivalent)
	})
}

// selector parses a label selector; nil selects everything.
func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}
