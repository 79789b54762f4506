package policy

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/auth/admission"
	"github.com/skiff-sh/skiff/internal/auth/admission/admissioncel"
	"github.com/skiff-sh/skiff/internal/auth/admission/webhook"
	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// input is what every policy sees of one request, as CEL values.
type input struct {
	object, oldObject, request, namespaceObject any
}

func newInput(ctx context.Context, a *generic.Attributes, namespaces admission.NamespaceLookup) (*input, error) {
	in := &input{}
	var err error
	if in.object, err = toValue(a.Object); err != nil {
		return nil, err
	}
	if in.oldObject, err = toValue(a.Old); err != nil {
		return nil, err
	}
	req, err := webhook.NewRequest(a, authn.UserFrom(ctx))
	if err != nil {
		return nil, err
	}
	req.Object, req.OldObject = runtime.RawExtension{}, runtime.RawExtension{}
	if in.request, err = jsonValue(req); err != nil {
		return nil, err
	}
	if a.Namespace != "" && a.Resource.Namespaced {
		ns, err := namespaces(ctx, a.Namespace)
		if err != nil {
			return nil, err
		}
		in.namespaceObject, err = toValue(ns)
		return in, err
	}
	return in, nil
}

// toValue turns an object into JSON maps, lists and scalars; nil stays
// null.
func toValue(obj runtime.Object) (any, error) {
	switch o := obj.(type) {
	case nil:
		return nil, nil
	case *unstructured.Unstructured:
		return o.Object, nil
	}
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}

func jsonValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(data, &out)
}

// decision is one failed validation.
type decision struct {
	message string
	reason  metav1.StatusReason
}

// evaluate runs one binding's policy for each of its params: match
// conditions, variables, then validations.
func (p *Plugin) evaluate(ctx context.Context, e entry, a *generic.Attributes, in *input) ([]decision, error) {
	params, err := p.params(ctx, e, a)
	if err != nil {
		return nil, err
	}
	var out []decision
	for _, param := range params {
		vars := map[string]any{
			"object": in.object, "oldObject": in.oldObject, "request": in.request,
			"namespaceObject": in.namespaceObject, "params": param,
		}
		ds, err := p.evaluateOnce(e.policy, vars)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

func (p *Plugin) evaluateOnce(pol *admissionregv1.ValidatingAdmissionPolicy, vars map[string]any) ([]decision, error) {
	ignore := pol.Spec.FailurePolicy != nil && *pol.Spec.FailurePolicy == admissionregv1.Ignore
	for _, mc := range pol.Spec.MatchConditions {
		v, err := admissioncel.Eval(mc.Expression, cel.BoolType, vars)
		if err != nil {
			return onError(ignore, err), nil
		}
		if v != types.True {
			return nil, nil
		}
	}
	// Variables are evaluated in order, each seeing the earlier ones.
	named := map[string]any{}
	vars["variables"] = named
	for _, v := range pol.Spec.Variables {
		val, err := admissioncel.Eval(v.Expression, cel.DynType, vars)
		if err != nil {
			return onError(ignore, err), nil
		}
		named[v.Name] = val.Value()
	}
	var out []decision
	for _, v := range pol.Spec.Validations {
		ok, err := admissioncel.Eval(v.Expression, cel.BoolType, vars)
		switch {
		case err != nil:
			out = append(out, onError(ignore, err)...)
		case ok != types.True:
			out = append(out, decision{message: failureMessage(&v, vars), reason: deref(v.Reason)})
		}
	}
	return out, nil
}

// onError applies failurePolicy to an expression that failed to run.
func onError(ignore bool, err error) []decision {
	if ignore {
		return nil
	}
	return []decision{{message: err.Error()}}
}

// failureMessage is messageExpression's result, else message, else
// "failed expression: <expression>".
func failureMessage(v *admissionregv1.Validation, vars map[string]any) string {
	if v.MessageExpression != "" {
		if out, err := admissioncel.Eval(v.MessageExpression, cel.StringType, vars); err == nil {
			if s, ok := out.Value().(string); ok && strings.TrimSpace(s) != "" && !strings.Contains(s, "\n") {
				return strings.TrimSpace(s)
			}
		}
	}
	if m := strings.TrimSpace(v.Message); m != "" {
		return m
	}
	return "failed expression: " + strings.TrimSpace(v.Expression)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
