package policy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/auth/admission"
	"github.com/skiff-sh/skiff/internal/auth/admission/webhook"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// ParamLister finds a param kind: list returns its objects in a
// namespace ("" for a cluster-scoped kind), namespaced says which the
// kind is. An error means the kind is not known.
type ParamLister func(gvk schema.GroupVersionKind) (list func(namespace string) []runtime.Object, namespaced bool, err error)

// Config is what the plugin reads: policies and bindings from watch
// caches, namespaces and param objects.
type Config struct {
	Policies, Bindings webhook.Source
	Namespaces         admission.NamespaceLookup
	Params             ParamLister
}

// Plugin enforces ValidatingAdmissionPolicies through their bindings on
// the final object of every write (it only validates).
type Plugin struct {
	cfg     Config
	mu      sync.Mutex
	revs    [2]int64
	entries []entry
}

// entry is a binding with its policy.
type entry struct {
	policy  *admissionregv1.ValidatingAdmissionPolicy
	binding *admissionregv1.ValidatingAdmissionPolicyBinding
}

// New returns the plugin for cfg.
func New(cfg Config) *Plugin { return &Plugin{cfg: cfg, revs: [2]int64{-1, -1}} }

// Admit implements generic.Admission: policies change nothing.
func (p *Plugin) Admit(context.Context, *generic.Attributes) error { return nil }

// current returns the bindings (in name order) whose policy exists.
func (p *Plugin) current() []entry {
	revs := [2]int64{p.cfg.Policies.Revision(), p.cfg.Bindings.Revision()}
	p.mu.Lock()
	defer p.mu.Unlock()
	if revs == p.revs {
		return p.entries
	}
	pols, _ := p.cfg.Policies.List()
	binds, _ := p.cfg.Bindings.List()
	byName := map[string]*admissionregv1.ValidatingAdmissionPolicy{}
	for _, o := range pols {
		pol := o.(*admissionregv1.ValidatingAdmissionPolicy)
		byName[pol.Name] = pol
	}
	var entries []entry
	for _, o := range binds {
		b := o.(*admissionregv1.ValidatingAdmissionPolicyBinding)
		if pol := byName[b.Spec.PolicyName]; pol != nil {
			entries = append(entries, entry{pol, b})
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].binding.Name < entries[j].binding.Name })
	p.revs, p.entries = revs, entries
	return entries
}

// Validate evaluates every matching binding; the first denial rejects
// the write as Kubernetes words it, Warn actions become warnings.
func (p *Plugin) Validate(ctx context.Context, a *generic.Attributes) error {
	if a.Resource.Group == admissionregv1.GroupName {
		return nil // admission configuration is exempt, as in Kubernetes
	}
	var in *input
	for _, e := range p.current() {
		ok, err := p.matches(ctx, e, a)
		if err == nil && !ok {
			continue
		}
		if in == nil {
			if in, err = newInput(ctx, a, p.cfg.Namespaces); err != nil {
				return apierrors.NewInternalError(err)
			}
		}
		var ds []decision
		if err == nil {
			ds, err = p.evaluate(ctx, e, a, in)
		}
		if err != nil {
			ds = configError(e, err)
		}
		if err := p.act(ctx, e, a, ds); err != nil {
			return err
		}
	}
	return nil
}

// configError applies failurePolicy to a policy that could not be
// evaluated (a missing param, a bad selector).
func configError(e entry, err error) []decision {
	if fp := e.policy.Spec.FailurePolicy; fp != nil && *fp == admissionregv1.Ignore {
		return nil
	}
	return []decision{{message: fmt.Errorf("failed to configure binding: %w", err).Error()}}
}

// act applies the binding's validationActions to the denials.
func (p *Plugin) act(ctx context.Context, e entry, a *generic.Attributes, ds []decision) error {
	for _, d := range ds {
		for _, action := range e.binding.Spec.ValidationActions {
			switch action {
			case admissionregv1.Deny:
				return denial(e, a, d)
			case admissionregv1.Warn:
				generic.AddWarning(ctx, fmt.Sprintf("Validation failed for ValidatingAdmissionPolicy '%s' with binding '%s': %s", e.policy.Name, e.binding.Name, d.message))
			}
		}
	}
	return nil
}

// denial is Kubernetes' error: "<resource> "<name>" is forbidden: ..."
// with the validation's reason (Invalid by default) and its code.
func denial(e entry, a *generic.Attributes, d decision) error {
	msg := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", e.policy.Name, e.binding.Name, d.message)
	err := apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New(msg))
	reason := d.reason
	if reason == "" {
		reason = metav1.StatusReasonInvalid
	}
	err.ErrStatus.Reason, err.ErrStatus.Code = reason, reasonCode(reason)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Message: msg})
	return err
}

func reasonCode(r metav1.StatusReason) int32 {
	switch r {
	case metav1.StatusReasonForbidden:
		return 403
	case metav1.StatusReasonUnauthorized:
		return 401
	case metav1.StatusReasonRequestEntityTooLarge:
		return 413
	}
	return 422
}
