package admissionregistration

import (
	"fmt"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	operations = []string{"*", "CONNECT", "CREATE", "DELETE", "UPDATE"}
	scopes     = []string{"*", "Cluster", "Namespaced"}
)

func validateRuleWithOperations(r *admissionv1.RuleWithOperations, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	ops := p.Child("operations")
	if len(r.Operations) == 0 {
		errs = append(errs, field.Required(ops, ""))
	}
	if len(r.Operations) > 1 && slices.Contains(r.Operations, admissionv1.OperationAll) {
		errs = append(errs, field.Invalid(ops, r.Operations, "if '*' is present, must not specify other operations"))
	}
	for i, op := range r.Operations {
		if !slices.Contains(operations, string(op)) {
			errs = append(errs, field.NotSupported(ops.Index(i), op, operations))
		}
	}
	return append(errs, validateRule(&r.Rule, p)...)
}

func validateRule(r *admissionv1.Rule, p *field.Path) field.ErrorList {
	errs := validateList(r.APIGroups, p.Child("apiGroups"), "API groups", false)
	errs = append(errs, validateList(r.APIVersions, p.Child("apiVersions"), "API versions", true)...)
	errs = append(errs, validateResources(r.Resources, p.Child("resources"))...)
	if r.Scope != nil && !slices.Contains(scopes, string(*r.Scope)) {
		errs = append(errs, field.NotSupported(p.Child("scope"), *r.Scope, scopes))
	}
	return errs
}

// validateList checks a rule's groups or versions: present, "*" alone,
// and (for versions) no empty entry; the core group is the empty string.
func validateList(list []string, p *field.Path, what string, noEmpty bool) field.ErrorList {
	var errs field.ErrorList
	if len(list) == 0 {
		errs = append(errs, field.Required(p, ""))
	}
	if len(list) > 1 && slices.Contains(list, "*") {
		errs = append(errs, field.Invalid(p, list, "if '*' is present, must not specify other "+what))
	}
	for i, v := range list {
		if noEmpty && v == "" {
			errs = append(errs, field.Required(p.Index(i), ""))
		}
	}
	return errs
}

// validateResources checks "resource", "resource/sub", "*", "*/sub",
// "resource/*" and "*/*" entries as Kubernetes does: no entry another
// wildcard already covers.
func validateResources(resources []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(resources) == 0 {
		errs = append(errs, field.Required(p, ""))
	}
	wildSub, wildRes := sets.New[string](), sets.New[string]()
	double, single, plain := false, false, false
	for i, rs := range resources {
		if rs == "" {
			errs = append(errs, field.Required(p.Index(i), ""))
			continue
		}
		double = double || rs == "*/*"
		single = single || rs == "*"
		res, sub, ok := strings.Cut(rs, "/")
		if !ok {
			plain = plain || rs != "*"
			continue
		}
		if wildSub.Has(res) {
			errs = append(errs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '%s/*' is present, must not specify %s", res, rs)))
		}
		if wildRes.Has(sub) {
			errs = append(errs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, rs)))
		}
		if sub == "*" {
			wildSub.Insert(res)
		}
		if res == "*" {
			wildRes.Insert(sub)
		}
	}
	if len(resources) > 1 && double {
		errs = append(errs, field.Invalid(p, resources, "if '*/*' is present, must not specify other resources"))
	}
	if single && plain {
		errs = append(errs, field.Invalid(p, resources, "if '*' is present, must not specify other resources without subresources"))
	}
	return errs
}

// validateMatchConditions checks names (qualified, unique) and that each
// condition has an expression that compiles.
func validateMatchConditions(conds []admissionv1.MatchCondition, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, c := range conds {
		cp := p.Index(i)
		switch {
		case c.Name == "":
			errs = append(errs, field.Required(cp.Child("name"), ""))
		case seen.Has(c.Name):
			errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
		default:
			for _, msg := range validation.IsQualifiedName(c.Name) {
				errs = append(errs, field.Invalid(cp.Child("name"), c.Name, msg))
			}
		}
		seen.Insert(c.Name)
		if c.Expression == "" {
			errs = append(errs, field.Required(cp.Child("expression"), ""))
			continue
		}
		errs = append(errs, checkExpression(c.Expression, cp.Child("expression"))...)
	}
	return errs
}
