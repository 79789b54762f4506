package crd

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/cel/library"
)

// celCostLimit bounds one rule's evaluation, so a rule over a huge list
// cannot stall the API server (Kubernetes bounds it by estimated and
// actual cost; this is the actual-cost half, per rule).
const celCostLimit = 1_000_000

// celEnv declares self and oldSelf as dynamic values: rules see the
// object as JSON maps, lists and scalars, with cel-go's strings, sets and
// lists extensions and Kubernetes' own libraries (quantity, IP, CIDR, URL,
// regex, lists, formats).
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(append([]cel.EnvOption{
		cel.Variable("self", cel.DynType), cel.Variable("oldSelf", cel.DynType),
		ext.Strings(), ext.Sets(), ext.Lists(), cel.OptionalTypes(),
	}, library.Kubernetes()...)...)
})

// celRule is a compiled x-kubernetes-validations rule.
type celRule struct {
	program, message cel.Program
	usesOldSelf      bool
	err              error
}

// celRules caches compiled rules by their source: the same CRD is
// validated on every write.
var celRules sync.Map // rule + "\x00" + messageExpression → *celRule

func compileRule(r apiextensionsv1.ValidationRule) *celRule {
	key := r.Rule + "\x00" + r.MessageExpression
	if c, ok := celRules.Load(key); ok {
		return c.(*celRule)
	}
	c := &celRule{}
	c.program, c.usesOldSelf, c.err = compileExpr(r.Rule, cel.BoolType)
	if c.err == nil && r.MessageExpression != "" {
		c.message, _, c.err = compileExpr(r.MessageExpression, cel.StringType)
		if c.err != nil {
			c.err = fmt.Errorf("messageExpression %w", c.err)
		}
	}
	celRules.Store(key, c)
	return c
}

func compileExpr(src string, want *cel.Type) (cel.Program, bool, error) {
	env, err := celEnv()
	if err != nil {
		return nil, false, err
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, false, fmt.Errorf("compilation failed: %w", iss.Err())
	}
	if t := ast.OutputType(); t != cel.DynType && !t.IsExactType(want) {
		return nil, false, fmt.Errorf("compilation failed: must evaluate to %s, not %s", want, t)
	}
	usesOldSelf := false
	for _, ref := range ast.NativeRep().ReferenceMap() {
		usesOldSelf = usesOldSelf || ref.Name == "oldSelf"
	}
	prog, err := env.Program(ast, cel.CostLimit(celCostLimit))
	return prog, usesOldSelf, err
}

// validateRules evaluates s's x-kubernetes-validations against value with
// Kubernetes' field errors: Invalid (or the rule's reason) at the node or
// its fieldPath, detail from messageExpression, message or "failed rule:
// <rule>". Transition rules (those using oldSelf) run only where old
// is known, as in Kubernetes: not on create, not for new fields or items.
func validateRules(value any, old *any, s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	var shown any = value
	if s.Type == "object" || s.Type == "array" {
		shown = field.OmitValueType{}
	}
	for _, r := range s.XValidations {
		c := compileRule(r)
		if c.err != nil {
			errs = append(errs, field.Invalid(path, shown, fmt.Sprintf("%v: rule: %s", c.err, strings.TrimSpace(r.Rule))))
			continue
		}
		vars := map[string]any{"self": value}
		if c.usesOldSelf {
			if old == nil {
				continue
			}
			vars["oldSelf"] = *old
		}
		out, _, err := c.program.Eval(vars)
		if err != nil {
			errs = append(errs, field.Invalid(path, shown, fmt.Sprintf("%v evaluating rule: %s", err, strings.TrimSpace(r.Rule))))
			continue
		}
		if out == types.True {
			continue
		}
		at := path
		if fp := strings.TrimPrefix(r.FieldPath, "."); fp != "" {
			for _, part := range strings.Split(fp, ".") {
				at = at.Child(part)
			}
		}
		errs = append(errs, ruleError(at, shown, ruleDetail(r, c, vars), r.Reason))
	}
	return errs
}

func ruleDetail(r apiextensionsv1.ValidationRule, c *celRule, vars map[string]any) string {
	if c.message != nil {
		if out, _, err := c.message.Eval(vars); err == nil {
			if s, ok := out.Value().(string); ok && strings.TrimSpace(s) != "" {
				return s
			}
		}
	}
	if m := strings.TrimSpace(r.Message); m != "" {
		return m
	}
	return "failed rule: " + strings.TrimSpace(r.Rule)
}

func ruleError(path *field.Path, value any, detail string, reason *apiextensionsv1.FieldValueErrorReason) *field.Error {
	if reason != nil {
		switch *reason {
		case apiextensionsv1.FieldValueForbidden:
			return field.Forbidden(path, detail)
		case apiextensionsv1.FieldValueRequired:
			return field.Required(path, detail)
		case apiextensionsv1.FieldValueDuplicate:
			return field.Duplicate(path, value)
		}
	}
	return field.Invalid(path, value, detail)
}

// validateRuleSources reports the rules of one schema node that do not
// compile, at CRD creation, as Kubernetes rejects them there.
func validateRuleSources(s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range s.XValidations {
		p := path.Child("x-kubernetes-validations").Index(i)
		if strings.TrimSpace(r.Rule) == "" {
			errs = append(errs, field.Required(p.Child("rule"), "rule is not specified"))
			continue
		}
		if c := compileRule(r); c.err != nil {
			at := p.Child("rule")
			if strings.HasPrefix(c.err.Error(), "messageExpression") {
				at = p.Child("messageExpression")
			}
			errs = append(errs, field.Invalid(at, r.Rule, c.err.Error()))
		}
	}
	return errs
}
