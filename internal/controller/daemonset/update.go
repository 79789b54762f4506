package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// budget resolves maxSurge and maxUnavailable against the number of nodes
// that should run the daemon, rounding up; if both come to 0,
// maxUnavailable is 1, as in Kubernetes.
func budget(ds *appsv1.DaemonSet, desired int) (surge, unavailable int) {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	one := intstr.FromInt32(1)
	maxUnavailable, maxSurge := &one, (*intstr.IntOrString)(nil)
	if ru != nil {
		if ru.MaxUnavailable != nil {
			maxUnavailable = ru.MaxUnavailable
		}
		maxSurge = ru.MaxSurge
	}
	if maxSurge != nil {
		surge, _ = intstr.GetScaledValueFromIntOrPercent(maxSurge, desired, true)
	}
	unavailable, _ = intstr.GetScaledValueFromIntOrPercent(maxUnavailable, desired, true)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// surging reports whether the rolling update starts new pods beside old.
func (c *Controller) surging(r *round) bool {
	if r.ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		return false
	}
	surge, _ := budget(r.ds, 1)
	return surge > 0
}

// nodeRevisions returns the live new and old pod of a node; ok is false
// when it has more than one of either (cleanNode deals with it first).
func nodeRevisions(pods []*corev1.Pod, hash string) (newPod, oldPod *corev1.Pod, ok bool) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		slot := &oldPod
		if p.Labels[appsv1.ControllerRevisionHashLabelKey] == hash {
			slot = &newPod
		}
		if *slot != nil {
			return nil, nil, false
		}
		*slot = p
	}
	return newPod, oldPod, true
}

// rollingUpdate returns the nodes that get a new pod beside their old one
// (maxSurge) and the old pods to delete now (maxUnavailable, or replaced
// by an available new pod).
func (c *Controller) rollingUpdate(r *round) (creates []string, deletes []*corev1.Pod) {
	var eligible []*corev1.Node
	for _, n := range r.nodes {
		if run, _ := shouldRun(r.ds, n); run {
			eligible = append(eligible, n)
		}
	}
	surge, maxUnavailable := budget(r.ds, len(eligible))
	available := func(p *corev1.Pod) bool { return podutil.IsPodAvailable(p, r.ds.Spec.MinReadySeconds, r.now) }
	var free, candidates []*corev1.Pod
	var freeNodes, candidateNodes []string
	unavailable, surging := 0, 0
	for _, n := range eligible {
		newPod, oldPod, ok := nodeRevisions(r.byNode[n.Name], r.hash)
		if !ok {
			continue
		}
		switch {
		case surge == 0 && newPod == nil && oldPod == nil:
			unavailable++
		case surge == 0 && newPod != nil:
			if !available(newPod) {
				unavailable++
			}
		case surge == 0:
			if !available(oldPod) {
				unavailable++
				free = append(free, oldPod)
			} else {
				candidates = append(candidates, oldPod)
			}
		case oldPod == nil:
		case newPod == nil && !available(oldPod):
			freeNodes = append(freeNodes, n.Name)
		case newPod == nil:
			candidateNodes = append(candidateNodes, n.Name)
		case available(newPod):
			deletes = append(deletes, oldPod)
		default:
			surging++
		}
	}
	if surge == 0 {
		n := min(max(maxUnavailable-unavailable, 0), len(candidates))
		return nil, append(free, candidates[:n]...)
	}
	n := min(max(surge-surging, 0), len(candidateNodes))
	return append(freeNodes, candidateNodes[:n]...), deletes
}
