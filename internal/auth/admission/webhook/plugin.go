// Package webhook calls the admission webhooks of
// MutatingWebhookConfigurations and ValidatingWebhookConfigurations as
// Kubernetes' API server does: matching rules and selectors, an
// admission.k8s.io AdmissionReview POSTed over HTTPS, JSON patches from
// mutating webhooks, denials and failure policies.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/auth/admission"
	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// Plugin is the webhook admission plugin: Admit calls mutating webhooks,
// Validate validating ones, each in configuration name order.
type Plugin struct {
	mutating, validating *hookSet
	namespaces           admission.NamespaceLookup
	caller               *caller
	log                  *slog.Logger
}

// Config is what the plugin reads: the two configuration kinds from
// watch caches, namespaces (for namespaceSelector) and Services (for
// service references).
type Config struct {
	Mutating, Validating Source
	Namespaces           admission.NamespaceLookup
	Services             ServiceLookup
	Log                  *slog.Logger
}

// New returns the plugin for cfg.
func New(cfg Config) *Plugin {
	return &Plugin{
		mutating:   &hookSet{src: cfg.Mutating, compile: compileMutating},
		validating: &hookSet{src: cfg.Validating, compile: compileValidating},
		namespaces: cfg.Namespaces, caller: &caller{services: cfg.Services}, log: cfg.Log,
	}
}

// Admit calls the matching mutating webhooks in order, applying their
// patches to a.Object; those with reinvocationPolicy IfNeeded are called
// once more when a later webhook changed the object.
func (p *Plugin) Admit(ctx context.Context, a *generic.Attributes) error {
	if exempt(a) {
		return nil
	}
	hooks := p.mutating.current()
	if len(hooks) == 0 {
		return nil
	}
	mutations := 0
	calledAt := map[int]int{} // reinvocable hook → mutations seen when called
	for i := range hooks {
		called, changed, err := p.dispatch(ctx, &hooks[i], a, true)
		if err != nil {
			return err
		}
		if changed {
			mutations++
		}
		if called && hooks[i].reinvoke {
			calledAt[i] = mutations
		}
	}
	for i := range hooks {
		if n, ok := calledAt[i]; ok && mutations > n {
			if _, _, err := p.dispatch(ctx, &hooks[i], a, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate calls the matching validating webhooks with the final object.
func (p *Plugin) Validate(ctx context.Context, a *generic.Attributes) error {
	if exempt(a) {
		return nil
	}
	hooks := p.validating.current()
	for i := range hooks {
		if _, _, err := p.dispatch(ctx, &hooks[i], a, false); err != nil {
			return err
		}
	}
	return nil
}

// dispatch calls h if it matches a, applying failurePolicy to failures.
// called says whether it was called, changed whether its patch changed
// a.Object.
func (p *Plugin) dispatch(ctx context.Context, h *hook, a *generic.Attributes, mutating bool) (called, changed bool, err error) {
	match, err := p.matches(ctx, h, a)
	if err != nil || !match {
		return false, false, p.failure(h, err)
	}
	if a.DryRun && h.sideEffects != admissionregv1.SideEffectClassNone && h.sideEffects != admissionregv1.SideEffectClassNoneOnDryRun {
		return false, false, apierrors.NewBadRequest(fmt.Sprintf("admission webhook %q does not support dry run", h.name))
	}
	req, err := NewRequest(a, authn.UserFrom(ctx))
	if err != nil {
		return false, false, p.failure(h, err)
	}
	if hold, err := conditionsHold(h.conditions, req); err != nil || !hold {
		return false, false, p.failure(h, err)
	}
	resp, err := p.caller.call(ctx, h, req)
	if err != nil {
		return true, false, p.failure(h, fmt.Errorf("failed to call webhook: %w", err))
	}
	for _, w := range resp.Warnings {
		generic.AddWarning(ctx, w)
	}
	if !resp.Allowed {
		return true, false, denied(h.name, resp.Result)
	}
	if !mutating || len(resp.Patch) == 0 {
		return true, false, nil
	}
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		return true, false, apierrors.NewInternalError(fmt.Errorf("admission webhook %q: unsupported patch type %v", h.name, resp.PatchType))
	}
	changed, err = applyPatch(a.Object, resp.Patch)
	if err != nil {
		return true, false, apierrors.NewInternalError(err)
	}
	a.Mutated = a.Mutated || changed
	return true, changed, nil
}

// failure applies failurePolicy to a failed call: Ignore goes on, Fail
// rejects the write with a 500 naming the webhook.
func (p *Plugin) failure(h *hook, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("failed calling webhook %q: %w", h.name, err)
	if h.failurePolicy == admissionregv1.Ignore {
		if p.log != nil {
			p.log.Warn("admission webhook failed, ignored by its failurePolicy", "err", err)
		}
		return nil
	}
	return apierrors.NewInternalError(err)
}

// denied is the error of a webhook's refusal: its status, at least 400,
// with Kubernetes' message.
func denied(name string, st *metav1.Status) error {
	res := metav1.Status{Status: metav1.StatusFailure}
	if st != nil {
		res = *st.DeepCopy()
	}
	res.Code = max(res.Code, 400)
	if res.Status == "" || res.Status == metav1.StatusSuccess {
		res.Status = metav1.StatusFailure
	}
	prefix := fmt.Sprintf("admission webhook %q denied the request", name)
	switch {
	case res.Message != "":
		res.Message = prefix + ": " + res.Message
	case res.Reason != "":
		res.Message = prefix + ": " + string(res.Reason)
	default:
		res.Message = prefix + " without explanation"
	}
	return &apierrors.StatusError{ErrStatus: res}
}

// matches reports whether h applies to a: a rule, the namespace and
// object selectors. An error (namespace lookup) is a call failure.
func (p *Plugin) matches(ctx context.Context, h *hook, a *generic.Attributes) (bool, error) {
	if h.err != nil {
		return false, h.err
	}
	ruleHit := false
	for i := range h.rules {
		ruleHit = ruleHit || RuleMatches(&h.rules[i], a, h.matchPolicy == admissionregv1.Equivalent)
	}
	if !ruleHit || !ObjectLabelsMatch(h.objSel, a) {
		return false, nil
	}
	return NamespaceMatches(ctx, p.namespaces, h.nsSel, a)
}

// NamespaceMatches applies a namespaceSelector: to the namespace's labels,
// to a Namespace object's own labels, and never excludes other
// cluster-scoped objects.
func NamespaceMatches(ctx context.Context, namespaces admission.NamespaceLookup, sel labels.Selector, a *generic.Attributes) (bool, error) {
	if sel.Empty() {
		return true, nil
	}
	if a.Resource.Group == "" && a.Resource.Resource == "namespaces" {
		return ObjectLabelsMatch(sel, a), nil
	}
	if a.Namespace == "" || !a.Resource.Namespaced {
		return true, nil
	}
	ns, err := namespaces(ctx, a.Namespace)
	if err != nil {
		return false, errors.New("namespace " + a.Namespace + ": " + err.Error())
	}
	return sel.Matches(labels.Set(ns.Labels)), nil
}

func typeMeta(apiVersion string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: "AdmissionReview"}
}
