// Package podtopologyspread spreads pods matching a selector evenly
// across topology domains (zones, nodes): DoNotSchedule constraints
// filter nodes whose domain would exceed maxSkew, ScheduleAnyway ones
// score nodes by how few matching pods their domains hold. Pods without
// constraints get the system defaults (zone maxSkew 5, hostname maxSkew
// 3, ScheduleAnyway) with a selector built from the Services,
// ReplicaSets, StatefulSets and ReplicationControllers they belong to.
package podtopologyspread

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "PodTopologySpread"

// Reasons the filter gives.
const (
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	ErrReasonNodeLabelNotMatch   = ErrReasonConstraintsNotMatch + " (missing required label)"
)

// systemDefaultConstraints are Kubernetes' default cluster constraints.
func systemDefaultConstraints() []corev1.TopologySpreadConstraint {
	return []corev1.TopologySpreadConstraint{
		{TopologyKey: corev1.LabelTopologyZone, MaxSkew: 5, WhenUnsatisfiable: corev1.ScheduleAnyway},
		{TopologyKey: corev1.LabelHostname, MaxSkew: 3, WhenUnsatisfiable: corev1.ScheduleAnyway},
	}
}

// constraint is a parsed topology spread constraint.
type constraint struct {
	MaxSkew            int32
	TopologyKey        string
	Selector           labels.Selector
	MinDomains         int32
	NodeAffinityPolicy corev1.NodeInclusionPolicy
	NodeTaintsPolicy   corev1.NodeInclusionPolicy
}

// Plugin is the PodTopologySpread plugin.
type Plugin struct {
	h            framework.Handle
	counted      countCache
	services     corelisters.ServiceLister
	rcs          corelisters.ReplicationControllerLister
	replicaSets  appslisters.ReplicaSetLister
	statefulSets appslisters.StatefulSetLister
}

// New is the plugin's factory.
func New(h framework.Handle, _ framework.Args) (framework.Plugin, error) {
	f := h.SharedInformerFactory()
	return &Plugin{
		h:            h,
		services:     f.Core().V1().Services().Lister(),
		rcs:          f.Core().V1().ReplicationControllers().Lister(),
		replicaSets:  f.Apps().V1().ReplicaSets().Lister(),
		statefulSets: f.Apps().V1().StatefulSets().Lister(),
	}, nil
}

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// EventsToRegister implements framework.EnqueueExtensions.
func (*Plugin) EventsToRegister() []framework.ClusterEvent {
	return []framework.ClusterEvent{
		{Resource: framework.AssignedPod, Action: framework.Add | framework.Delete | framework.UpdatePodLabel},
		{Resource: framework.Node, Action: framework.Add | framework.Delete | framework.UpdateNodeLabel | framework.UpdateNodeTaint},
	}
}

// constraints returns the pod's constraints with the given action, or the
// system defaults when the pod has none at all.
func (p *Plugin) constraints(pod *corev1.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, bool, error) {
	if len(pod.Spec.TopologySpreadConstraints) == 0 {
		if action != corev1.ScheduleAnyway {
			return nil, true, nil
		}
		sel := p.defaultSelector(pod)
		if sel.Empty() {
			return nil, true, nil
		}
		var out []constraint
		for _, c := range systemDefaultConstraints() {
			out = append(out, constraint{MaxSkew: c.MaxSkew, TopologyKey: c.TopologyKey, Selector: sel, NodeAffinityPolicy: corev1.NodeInclusionPolicyHonor, NodeTaintsPolicy: corev1.NodeInclusionPolicyIgnore})
		}
		return out, true, nil
	}
	var out []constraint
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != action {
			continue
		}
		pc, err := parse(pod, c)
		if err != nil {
			return nil, false, err
		}
		out = append(out, pc)
	}
	return out, false, nil
}

func parse(pod *corev1.Pod, c corev1.TopologySpreadConstraint) (constraint, error) {
	sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
	if err != nil {
		return constraint{}, err
	}
	for _, k := range c.MatchLabelKeys {
		if v, ok := pod.Labels[k]; ok {
			r, err := labels.NewRequirement(k, selection.In, []string{v})
			if err != nil {
				return constraint{}, err
			}
			sel = sel.Add(*r)
		}
	}
	pc := constraint{MaxSkew: c.MaxSkew, TopologyKey: c.TopologyKey, Selector: sel, MinDomains: 1,
		NodeAffinityPolicy: corev1.NodeInclusionPolicyHonor, NodeTaintsPolicy: corev1.NodeInclusionPolicyIgnore}
	if c.MinDomains != nil {
		pc.MinDomains = *c.MinDomains
	}
	if c.NodeAffinityPolicy != nil {
		pc.NodeAffinityPolicy = *c.NodeAffinityPolicy
	}
	if c.NodeTaintsPolicy != nil {
		pc.NodeTaintsPolicy = *c.NodeTaintsPolicy
	}
	return pc, nil
}

// defaultSelector merges the selectors of the Services selecting pod and
// of its controlling ReplicaSet, StatefulSet or ReplicationController.
func (p *Plugin) defaultSelector(pod *corev1.Pod) labels.Selector {
	set := labels.Set{}
	if svcs, err := p.services.Services(pod.Namespace).List(labels.Everything()); err == nil {
		for _, s := range svcs {
			if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pod.Labels)) {
				set = labels.Merge(set, s.Spec.Selector)
			}
		}
	}
	sel := set.AsSelector()
	owner := metav1.GetControllerOfNoCopy(pod)
	if owner == nil {
		return sel
	}
	var ls *metav1.LabelSelector
	switch owner.Kind {
	case "ReplicationController":
		if rc, err := p.rcs.ReplicationControllers(pod.Namespace).Get(owner.Name); err == nil {
			return labels.Merge(set, rc.Spec.Selector).AsSelector()
		}
	case "ReplicaSet":
		if rs, err := p.replicaSets.ReplicaSets(pod.Namespace).Get(owner.Name); err == nil {
			ls = rs.Spec.Selector
		}
	case "StatefulSet":
		if ss, err := p.statefulSets.StatefulSets(pod.Namespace).Get(owner.Name); err == nil {
			ls = ss.Spec.Selector
		}
	}
	if other, err := metav1.LabelSelectorAsSelector(ls); err == nil && ls != nil {
		if reqs, ok := other.Requirements(); ok {
			sel = sel.Add(reqs...)
		}
	}
	return sel
}

// includes applies the constraint's node inclusion policies.
func (c *constraint) includes(pod *corev1.Pod, node *corev1.Node) bool {
	if c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor && !framework.PodMatchesNodeSelectorAndAffinity(pod, node) {
		return false
	}
	if c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor {
		if _, untolerated := framework.FindUntoleratedTaint(node.Spec.Taints, pod.Spec.Tolerations, func(t *corev1.Taint) bool {
			return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
		}); untolerated {
			return false
		}
	}
	return true
}

// countMatching counts the live pods in ns that sel selects.
func countMatching(pods []*framework.PodInfo, sel labels.Selector, ns string) int {
	n := 0
	for _, p := range pods {
		if p.Pod.DeletionTimestamp == nil && p.Pod.Namespace == ns && sel.Matches(labels.Set(p.Pod.Labels)) {
			n++
		}
	}
	return n
}
