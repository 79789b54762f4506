package webhook

import (
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// RuleMatches reports whether r covers the request: operation, group,
// version, resource (with "*", "res/*", "*/sub" and "*/*" forms) and
// scope. anyVersion is matchPolicy Equivalent: skiff serves one version
// of each group, so a rule for another version of the same resource
// names the same objects.
func RuleMatches(r *admissionv1.RuleWithOperations, a *generic.Attributes, anyVersion bool) bool {
	return opMatches(r.Operations, string(a.Operation)) &&
		listMatches(r.APIGroups, a.Resource.Group) &&
		(anyVersion || listMatches(r.APIVersions, a.Resource.Version)) &&
		resourceMatches(r.Resources, a.Resource.Resource, a.Subresource) &&
		scopeMatches(r.Scope, a)
}

func opMatches(ops []admissionv1.OperationType, op string) bool {
	return slices.ContainsFunc(ops, func(o admissionv1.OperationType) bool { return o == admissionv1.OperationAll || string(o) == op })
}

func listMatches(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}

func resourceMatches(list []string, res, sub string) bool {
	for _, entry := range list {
		r, s, hasSub := strings.Cut(entry, "/")
		switch {
		case entry == "*/*":
			return true
		case !hasSub:
			if sub == "" && (r == "*" || r == res) {
				return true
			}
		case (r == "*" || r == res) && (s == "*" || s == sub):
			if sub != "" {
				return true
			}
		}
	}
	return false
}

// scopeMatches applies a rule's scope to the request: namespaced means a
// request in a namespace; a Namespace itself is cluster-scoped.
func scopeMatches(scope *admissionv1.ScopeType, a *generic.Attributes) bool {
	if scope == nil || *scope == admissionv1.AllScopes {
		return true
	}
	namespaced := a.Resource.Namespaced
	return (*scope == admissionv1.NamespacedScope) == namespaced
}

// ObjectLabelsMatch reports whether sel matches the new or the old
// object's labels, as Kubernetes' objectSelector does.
func ObjectLabelsMatch(sel labels.Selector, a *generic.Attributes) bool {
	if sel.Empty() {
		return true
	}
	for _, o := range []runtime.Object{a.Object, a.Old} {
		if o == nil {
			continue
		}
		if m, err := meta.Accessor(o); err == nil && sel.Matches(labels.Set(m.GetLabels())) {
			return true
		}
	}
	return false
}

// exempt lists what webhooks never see: their own configurations and the
// admission policies, so a broken webhook cannot lock itself in.
func exempt(a *generic.Attributes) bool {
	return a.Resource.Group == admissionv1.GroupName
}
