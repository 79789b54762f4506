package framework

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// AffinityTerm is a parsed pod (anti-)affinity term.
type AffinityTerm struct {
	// Namespaces are the namespaces named by the term (the pod's own when
	// it names none and has no namespace selector).
	Namespaces map[string]bool
	// NamespaceSelector selects namespaces by label; labels.Nothing() when
	// the term has none.
	NamespaceSelector labels.Selector
	Selector          labels.Selector
	TopologyKey       string
}

// WeightedAffinityTerm is a preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// Matches reports whether pod, living in a namespace labelled nsLabels,
// is selected by the term.
func (t *AffinityTerm) Matches(pod *corev1.Pod, nsLabels labels.Set) bool {
	if t.Namespaces[pod.Namespace] || t.NamespaceSelector.Matches(nsLabels) {
		return t.Selector.Matches(labels.Set(pod.Labels))
	}
	return false
}

// PodInfo is a pod with what the plugins compute from it once.
type PodInfo struct {
	Pod                        *corev1.Pod
	RequiredAffinityTerms      []AffinityTerm
	RequiredAntiAffinityTerms  []AffinityTerm
	PreferredAffinityTerms     []WeightedAffinityTerm
	PreferredAntiAffinityTerms []WeightedAffinityTerm
	// Requests and NonZeroRequests are PodRequests(pod, false/true).
	Requests        *Resource
	NonZeroRequests *Resource
	// ParseError is set when a label selector of the pod is invalid.
	ParseError error
}

// NewPodInfo parses pod.
func NewPodInfo(pod *corev1.Pod) *PodInfo {
	pi := &PodInfo{Pod: pod, Requests: PodRequests(pod, false), NonZeroRequests: PodRequests(pod, true)}
	a := pod.Spec.Affinity
	if a == nil {
		return pi
	}
	if pa := a.PodAffinity; pa != nil {
		pi.RequiredAffinityTerms = pi.terms(pa.RequiredDuringSchedulingIgnoredDuringExecution)
		pi.PreferredAffinityTerms = pi.weighted(pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		pi.RequiredAntiAffinityTerms = pi.terms(pa.RequiredDuringSchedulingIgnoredDuringExecution)
		pi.PreferredAntiAffinityTerms = pi.weighted(pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	return pi
}

func (pi *PodInfo) terms(in []corev1.PodAffinityTerm) []AffinityTerm {
	var out []AffinityTerm
	for i := range in {
		t, err := NewAffinityTerm(pi.Pod, &in[i])
		if err != nil {
			pi.ParseError = err
			continue
		}
		out = append(out, *t)
	}
	return out
}

func (pi *PodInfo) weighted(in []corev1.WeightedPodAffinityTerm) []WeightedAffinityTerm {
	var out []WeightedAffinityTerm
	for i := range in {
		t, err := NewAffinityTerm(pi.Pod, &in[i].PodAffinityTerm)
		if err != nil {
			pi.ParseError = err
			continue
		}
		out = append(out, WeightedAffinityTerm{AffinityTerm: *t, Weight: in[i].Weight})
	}
	return out
}

// HasAffinity reports whether the pod has any pod (anti-)affinity term.
func (pi *PodInfo) HasAffinity() bool {
	return len(pi.RequiredAffinityTerms)+len(pi.RequiredAntiAffinityTerms)+
		len(pi.PreferredAffinityTerms)+len(pi.PreferredAntiAffinityTerms) > 0
}

// NewAffinityTerm parses t for pod, applying matchLabelKeys and
// mismatchLabelKeys with the pod's own label values.
func NewAffinityTerm(pod *corev1.Pod, t *corev1.PodAffinityTerm) (*AffinityTerm, error) {
	sel, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s affinity selector: %w", pod.Namespace, pod.Name, err)
	}
	sel, err = withLabelKeys(sel, pod.Labels, t.MatchLabelKeys, selection.In)
	if err != nil {
		return nil, err
	}
	if sel, err = withLabelKeys(sel, pod.Labels, t.MismatchLabelKeys, selection.NotIn); err != nil {
		return nil, err
	}
	out := &AffinityTerm{Namespaces: map[string]bool{}, Selector: sel, TopologyKey: t.TopologyKey, NamespaceSelector: labels.Nothing()}
	for _, ns := range t.Namespaces {
		out.Namespaces[ns] = true
	}
	if t.NamespaceSelector != nil {
		if out.NamespaceSelector, err = metav1.LabelSelectorAsSelector(t.NamespaceSelector); err != nil {
			return nil, fmt.Errorf("pod %s/%s namespace selector: %w", pod.Namespace, pod.Name, err)
		}
	} else if len(t.Namespaces) == 0 {
		out.Namespaces[pod.Namespace] = true
	}
	return out, nil
}

func withLabelKeys(sel labels.Selector, podLabels map[string]string, keys []string, op selection.Operator) (labels.Selector, error) {
	for _, k := range keys {
		v, ok := podLabels[k]
		if !ok {
			continue
		}
		r, err := labels.NewRequirement(k, op, []string{v})
		if err != nil {
			return nil, err
		}
		sel = sel.Add(*r)
	}
	return sel, nil
}
