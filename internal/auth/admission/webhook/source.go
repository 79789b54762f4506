package webhook

import (
	"errors"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Source reads stored configurations of one kind from a watch cache:
// List returns them in name order with the revision they reflect,
// Revision only that revision, so an unchanged cache costs one lock.
type Source struct {
	List     func() ([]runtime.Object, int64)
	Revision func() int64
}

// hook is one webhook of a configuration, in the shape dispatch needs.
type hook struct {
	name           string
	clientConfig   admissionv1.WebhookClientConfig
	rules          []admissionv1.RuleWithOperations
	failurePolicy  admissionv1.FailurePolicyType
	matchPolicy    admissionv1.MatchPolicyType
	nsSel, objSel  labels.Selector
	sideEffects    admissionv1.SideEffectClass
	timeout        time.Duration
	reviewVersions []string
	conditions     []admissionv1.MatchCondition
	reinvoke       bool // mutating, reinvocationPolicy IfNeeded
	// err is set when a selector does not parse (the store validated it,
	// so only objects written before validation existed can have one).
	err error
}

// hookSet keeps the hooks of a Source compiled, rebuilding them when the
// cache's revision moves.
type hookSet struct {
	src     Source
	compile func(runtime.Object) []hook
	mu      sync.Mutex
	rev     int64
	hooks   []hook
}

func (s *hookSet) current() []hook {
	rev := s.src.Revision()
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev == s.rev && s.hooks != nil {
		return s.hooks
	}
	objs, rev := s.src.List()
	hooks := []hook{}
	for _, o := range objs {
		hooks = append(hooks, s.compile(o)...)
	}
	s.rev, s.hooks = rev, hooks
	return hooks
}

func compileValidating(obj runtime.Object) []hook {
	c := obj.(*admissionv1.ValidatingWebhookConfiguration)
	out := make([]hook, len(c.Webhooks))
	for i, h := range c.Webhooks {
		out[i] = newHook(h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions)
	}
	return out
}

func compileMutating(obj runtime.Object) []hook {
	c := obj.(*admissionv1.MutatingWebhookConfiguration)
	out := make([]hook, len(c.Webhooks))
	for i, h := range c.Webhooks {
		out[i] = newHook(h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions)
		out[i].reinvoke = h.ReinvocationPolicy != nil && *h.ReinvocationPolicy == admissionv1.IfNeededReinvocationPolicy
	}
	return out
}

// newHook takes a stored (hence defaulted) webhook; nil fields still get
// Kubernetes' defaults so that older objects behave the same.
func newHook(name string, cc admissionv1.WebhookClientConfig, rules []admissionv1.RuleWithOperations, fp *admissionv1.FailurePolicyType, mp *admissionv1.MatchPolicyType,
	nsSel, objSel *metav1.LabelSelector, se *admissionv1.SideEffectClass, timeout *int32, versions []string, conds []admissionv1.MatchCondition) hook {
	h := hook{
		name: name, clientConfig: cc, rules: rules, reviewVersions: versions, conditions: conds,
		failurePolicy: deref(fp, admissionv1.Fail), matchPolicy: deref(mp, admissionv1.Equivalent),
		sideEffects: deref(se, admissionv1.SideEffectClassUnknown), timeout: time.Duration(deref(timeout, 10)) * time.Second,
	}
	var err1, err2 error
	h.nsSel, err1 = selector(nsSel)
	h.objSel, err2 = selector(objSel)
	h.err = errors.Join(err1, err2)
	return h
}

func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
