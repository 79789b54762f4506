// Package interpodaffinity implements required and preferred pod affinity
// and anti-affinity, including the symmetric anti-affinity of pods
// already running: a pod is kept out of a topology domain where a running
// pod's required anti-affinity selects it.
package interpodaffinity

import (
	"context"
	"fmt"
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "InterPodAffinity"

// Reasons the filter gives.
const (
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
	ErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
)

// hardPodAffinityWeight is how much an existing pod's required affinity
// to the incoming pod counts in scoring, as Kubernetes' default.
const hardPodAffinityWeight = 1

const preFilterKey framework.StateKey = "PreFilter" + Name

// Plugin is the InterPodAffinity plugin.
type Plugin struct {
	h          framework.Handle
	namespaces corelisters.NamespaceLister
}

// New is the plugin's factory.
func New(h framework.Handle, _ framework.Args) (framework.Plugin, error) {
	return &Plugin{h: h, namespaces: h.SharedInformerFactory().Core().V1().Namespaces().Lister()}, nil
}

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// EventsToRegister implements framework.EnqueueExtensions.
func (*Plugin) EventsToRegister() []framework.ClusterEvent {
	return []framework.ClusterEvent{
		{Resource: framework.AssignedPod, Action: framework.Add | framework.Delete | framework.UpdatePodLabel},
		{Resource: framework.Node, Action: framework.Add | framework.UpdateNodeLabel},
	}
}

type pair struct{ key, value string }

// counts maps a topology domain to a number of pods.
type counts map[pair]int64

func (c counts) add(term *framework.AffinityTerm, node *corev1.Node, delta int64) {
	if v, ok := node.Labels[term.TopologyKey]; ok {
		c[pair{term.TopologyKey, v}] += delta
		if c[pair{term.TopologyKey, v}] == 0 {
			delete(c, pair{term.TopologyKey, v})
		}
	}
}

type preFilterState struct {
	pod *framework.PodInfo
	// nsLabels are the labels of the incoming pod's namespace.
	nsLabels labels.Set
	// existingAnti counts running pods whose required anti-affinity
	// selects the incoming pod, per domain.
	existingAnti counts
	// affinity counts running pods matching all the incoming pod's
	// required affinity terms; anti those matching each anti term.
	affinity, anti counts
}

func (s *preFilterState) Clone() framework.StateData {
	out := *s
	out.existingAnti, out.affinity, out.anti = maps.Clone(s.existingAnti), maps.Clone(s.affinity), maps.Clone(s.anti)
	return &out
}

// PreFilter implements framework.PreFilterPlugin.
func (p *Plugin) PreFilter(ctx context.Context, state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	pi := framework.NewPodInfo(pod)
	if pi.ParseError != nil {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing pod: %v", pi.ParseError))
	}
	lister := p.h.SnapshotSharedLister()
	withAnti := lister.HavePodsWithRequiredAntiAffinityList()
	if len(pi.RequiredAffinityTerms) == 0 && len(pi.RequiredAntiAffinityTerms) == 0 && len(withAnti) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	p.mergeNamespaces(pi.RequiredAffinityTerms)
	p.mergeNamespaces(pi.RequiredAntiAffinityTerms)
	s := &preFilterState{pod: pi, nsLabels: p.nsLabels(pod.Namespace), existingAnti: counts{}, affinity: counts{}, anti: counts{}}
	var mu sync.Mutex
	p.h.Parallelizer().Until(ctx, len(withAnti), func(i int) {
		local := counts{}
		for _, existing := range withAnti[i].PodsWithRequiredAntiAffinity {
			local.addExistingAnti(existing, pod, s.nsLabels, withAnti[i].Node(), 1)
		}
		mu.Lock()
		defer mu.Unlock()
		mergeInto(s.existingAnti, local)
	})
	if len(pi.RequiredAffinityTerms)+len(pi.RequiredAntiAffinityTerms) > 0 {
		nodes := lister.List()
		p.h.Parallelizer().Until(ctx, len(nodes), func(i int) {
			aff, anti := counts{}, counts{}
			for _, existing := range nodes[i].Pods {
				addIncoming(aff, anti, pi, existing.Pod, nodes[i].Node(), 1)
			}
			mu.Lock()
			defer mu.Unlock()
			mergeInto(s.affinity, aff)
			mergeInto(s.anti, anti)
		})
	}
	state.Write(preFilterKey, s)
	return nil
}

func mergeInto(dst, src counts) {
	for k, v := range src {
		dst[k] += v
	}
}

// addExistingAnti counts the domains where existing's required
// anti-affinity selects pod.
func (c counts) addExistingAnti(existing *framework.PodInfo, pod *corev1.Pod, nsLabels labels.Set, node *corev1.Node, delta int64) {
	for i := range existing.RequiredAntiAffinityTerms {
		t := &existing.RequiredAntiAffinityTerms[i]
		if t.Matches(pod, nsLabels) {
			c.add(t, node, delta)
		}
	}
}

// addIncoming counts existing in the domains of the incoming pod's
// required affinity (when it matches all terms) and anti-affinity terms.
func addIncoming(aff, anti counts, pi *framework.PodInfo, existing *corev1.Pod, node *corev1.Node, delta int64) {
	if len(pi.RequiredAffinityTerms) > 0 && matchesAll(pi.RequiredAffinityTerms, existing) {
		for i := range pi.RequiredAffinityTerms {
			aff.add(&pi.RequiredAffinityTerms[i], node, delta)
		}
	}
	for i := range pi.RequiredAntiAffinityTerms {
		t := &pi.RequiredAntiAffinityTerms[i]
		if t.Matches(existing, nil) {
			anti.add(t, node, delta)
		}
	}
}

func matchesAll(terms []framework.AffinityTerm, pod *corev1.Pod) bool {
	for i := range terms {
		if !terms[i].Matches(pod, nil) {
			return false
		}
	}
	return true
}

// mergeNamespaces turns a term's namespace selector into the namespaces
// it selects now, so that matching needs no namespace lookups.
func (p *Plugin) mergeNamespaces(terms []framework.AffinityTerm) {
	for i := range terms {
		p.mergeTerm(&terms[i])
	}
}

func (p *Plugin) mergeTerm(t *framework.AffinityTerm) {
	if _, selectable := t.NamespaceSelector.Requirements(); !selectable || t.NamespaceSelector.Empty() {
		return // Nothing or Everything: matches without labels
	}
	nss, err := p.namespaces.List(t.NamespaceSelector)
	if err != nil {
		return
	}
	ns := maps.Clone(t.Namespaces)
	for _, n := range nss {
		ns[n.Name] = true
	}
	t.Namespaces, t.NamespaceSelector = ns, labels.Nothing()
}

func (p *Plugin) nsLabels(ns string) labels.Set {
	n, err := p.namespaces.Get(ns)
	if err != nil {
		return nil
	}
	return n.Labels
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (p *Plugin) PreFilterExtensions() framework.PreFilterExtensions { return p }

// AddPod implements framework.PreFilterExtensions.
func (p *Plugin) AddPod(_ context.Context, state *framework.CycleState, pod *corev1.Pod, add *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return update(state, pod, add, ni, 1)
}

// RemovePod implements framework.PreFilterExtensions.
func (p *Plugin) RemovePod(_ context.Context, state *framework.CycleState, pod *corev1.Pod, remove *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return update(state, pod, remove, ni, -1)
}

func update(state *framework.CycleState, pod *corev1.Pod, other *framework.PodInfo, ni *framework.NodeInfo, delta int64) *framework.Status {
	s, ok := state.Read(preFilterKey).(*preFilterState)
	if !ok {
		return nil
	}
	s.existingAnti.addExistingAnti(other, pod, s.nsLabels, ni.Node(), delta)
	addIncoming(s.affinity, s.anti, s.pod, other.Pod, ni.Node(), delta)
	return nil
}

// Filter implements framework.FilterPlugin.
func (p *Plugin) Filter(_ context.Context, state *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	s, ok := state.Read(preFilterKey).(*preFilterState)
	if !ok {
		return nil
	}
	node := ni.Node()
	if !s.satisfiesAffinity(node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch)
	}
	for i := range s.pod.RequiredAntiAffinityTerms {
		t := &s.pod.RequiredAntiAffinityTerms[i]
		if v, ok := node.Labels[t.TopologyKey]; ok && s.anti[pair{t.TopologyKey, v}] > 0 {
			return framework.NewStatus(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch)
		}
	}
	for k, v := range node.Labels {
		if s.existingAnti[pair{k, v}] > 0 {
			return framework.NewStatus(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch)
		}
	}
	return nil
}

// satisfiesAffinity: every required affinity term has a matching pod in
// the node's domain, or no pod anywhere matches and the pod matches its
// own terms (the first pod of a group that attracts itself).
func (s *preFilterState) satisfiesAffinity(node *corev1.Node) bool {
	exist := true
	for i := range s.pod.RequiredAffinityTerms {
		t := &s.pod.RequiredAffinityTerms[i]
		v, ok := node.Labels[t.TopologyKey]
		if !ok {
			return false
		}
		if s.affinity[pair{t.TopologyKey, v}] <= 0 {
			exist = false
		}
	}
	if exist {
		return true
	}
	return len(s.affinity) == 0 && matchesAll(s.pod.RequiredAffinityTerms, s.pod.Pod)
}
