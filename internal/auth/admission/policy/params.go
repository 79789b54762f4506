package policy

import (
	"context"
	"errors"
	"fmt"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// params returns the CEL values of the params a binding selects: one nil
// param for a policy without paramKind, none when they are missing and
// the binding allows that.
func (p *Plugin) params(_ context.Context, e entry, a *generic.Attributes) ([]any, error) {
	pk := e.policy.Spec.ParamKind
	if pk == nil {
		return []any{nil}, nil
	}
	ref := e.binding.Spec.ParamRef
	if ref == nil {
		return nil, errors.New("a paramRef is required for a policy with a paramKind")
	}
	gv, err := schema.ParseGroupVersion(pk.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("invalid paramKind APIVersion %q: %w", pk.APIVersion, err)
	}
	list, namespaced, err := p.cfg.Params(gv.WithKind(pk.Kind))
	if err != nil {
		return nil, fmt.Errorf("paramKind kind `%v` not known", gv.WithKind(pk.Kind))
	}
	ns := ref.Namespace
	switch {
	case !namespaced && ns != "":
		return nil, errors.New("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
	case namespaced && ns == "" && a.Namespace == "":
		return nil, errors.New("cannot use namespaced paramRef in policy binding that matches cluster-scoped resources")
	case namespaced && ns == "":
		ns = a.Namespace
	}
	sel, err := paramSelector(ref)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, obj := range list(ns) {
		m, err := meta.Accessor(obj)
		if err != nil || (ref.Name != "" && m.GetName() != ref.Name) || !sel.Matches(labels.Set(m.GetLabels())) {
			continue
		}
		v, err := toValue(obj)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 && ref.ParameterNotFoundAction != nil && *ref.ParameterNotFoundAction == admissionregv1.DenyAction {
		return nil, errors.New("no params found for policy binding with `Deny` parameterNotFoundAction")
	}
	return out, nil
}

func paramSelector(ref *admissionregv1.ParamRef) (labels.Selector, error) {
	if ref.Name != "" || ref.Selector == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(ref.Selector)
}
