package resourcequota

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Scoped narrows objs to what a quota with scopes tracks: only pods, and
// only those matching every scope of spec.scopes and spec.scopeSelector,
// as Kubernetes' pod evaluator does. A quota without scopes sees all.
func Scoped(spec corev1.ResourceQuotaSpec, objs Objects) Objects {
	reqs := scopeRequirements(spec)
	if len(reqs) == 0 {
		return objs
	}
	var pods []*corev1.Pod
	for _, p := range objs.Pods {
		if matchesAll(p, reqs) {
			pods = append(pods, p)
		}
	}
	return Objects{Pods: pods}
}

func scopeRequirements(spec corev1.ResourceQuotaSpec) []corev1.ScopedResourceSelectorRequirement {
	var reqs []corev1.ScopedResourceSelectorRequirement
	for _, s := range spec.Scopes {
		reqs = append(reqs, corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists})
	}
	if spec.ScopeSelector != nil {
		reqs = append(reqs, spec.ScopeSelector.MatchExpressions...)
	}
	return reqs
}

func matchesAll(p *corev1.Pod, reqs []corev1.ScopedResourceSelectorRequirement) bool {
	for _, r := range reqs {
		if !matchesScope(p, r) {
			return false
		}
	}
	return true
}

func matchesScope(p *corev1.Pod, r corev1.ScopedResourceSelectorRequirement) bool {
	switch r.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return p.Spec.ActiveDeadlineSeconds != nil && *p.Spec.ActiveDeadlineSeconds >= 0
	case corev1.ResourceQuotaScopeNotTerminating:
		return p.Spec.ActiveDeadlineSeconds == nil || *p.Spec.ActiveDeadlineSeconds < 0
	case corev1.ResourceQuotaScopeBestEffort:
		return bestEffort(p)
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !bestEffort(p)
	case corev1.ResourceQuotaScopePriorityClass:
		return matchesPriorityClass(p.Spec.PriorityClassName, r)
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(p)
	}
	return false
}

func matchesPriorityClass(name string, r corev1.ScopedResourceSelectorRequirement) bool {
	switch r.Operator {
	case corev1.ScopeSelectorOpExists:
		return true
	case corev1.ScopeSelectorOpDoesNotExist:
		return false
	case corev1.ScopeSelectorOpIn:
		return slices.Contains(r.Values, name)
	case corev1.ScopeSelectorOpNotIn:
		return !slices.Contains(r.Values, name)
	}
	return false
}

// bestEffort is the BestEffort QoS class: no container or init container
// requests or limits cpu or memory.
func bestEffort(p *corev1.Pod) bool {
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			for _, l := range []corev1.ResourceList{c.Resources.Requests, c.Resources.Limits} {
				if !l.Cpu().IsZero() || !l.Memory().IsZero() {
					return false
				}
			}
		}
	}
	return true
}

// crossNamespaceAffinity reports a pod (anti-)affinity term that reaches
// other namespaces, by list or by selector.
func crossNamespaceAffinity(p *corev1.Pod) bool {
	a := p.Spec.Affinity
	if a == nil {
		return false
	}
	var terms []corev1.PodAffinityTerm
	if pa := a.PodAffinity; pa != nil {
		terms = append(terms, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		terms = append(terms, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	for _, t := range terms {
		if len(t.Namespaces) > 0 || t.NamespaceSelector != nil {
			return true
		}
	}
	return false
}
