// Package volumebinding is a light VolumeBinding: a pod whose claim is
// bound to a PersistentVolume with node affinity (a local volume) may only
// run on the nodes that affinity selects. It does not bind or provision
// volumes: an unbound claim is accepted only when its class waits for the
// first consumer, and left to the volume controller.
package volumebinding

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "VolumeBinding"

// Reasons the plugin gives.
const (
	ErrReasonNodeConflict  = "node(s) had volume node affinity conflict"
	ErrReasonUnboundClaims = "pod has unbound immediate PersistentVolumeClaims"
)

const stateKey framework.StateKey = "PreFilter" + Name

// Plugin is the VolumeBinding plugin.
type Plugin struct {
	pvcs    corelisters.PersistentVolumeClaimLister
	pvs     corelisters.PersistentVolumeLister
	classes storagelisters.StorageClassLister
}

// New is the plugin's factory.
func New(h framework.Handle, _ framework.Args) (framework.Plugin, error) {
	f := h.SharedInformerFactory()
	return &Plugin{
		pvcs:    f.Core().V1().PersistentVolumeClaims().Lister(),
		pvs:     f.Core().V1().PersistentVolumes().Lister(),
		classes: f.Storage().V1().StorageClasses().Lister(),
	}, nil
}

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// EventsToRegister implements framework.EnqueueExtensions.
func (*Plugin) EventsToRegister() []framework.ClusterEvent {
	return []framework.ClusterEvent{
		{Resource: framework.PersistentVolumeClaim, Action: framework.Add | framework.Update},
		{Resource: framework.PersistentVolume, Action: framework.Add | framework.Update},
		{Resource: framework.StorageClass, Action: framework.Add},
		{Resource: framework.Node, Action: framework.Add | framework.UpdateNodeLabel},
	}
}

// preFilterState holds the node affinities of the pod's bound volumes.
type preFilterState []*corev1.VolumeNodeAffinity

func (s preFilterState) Clone() framework.StateData { return s }

// PreFilter implements framework.PreFilterPlugin; pods without claims
// skip the filter.
func (p *Plugin) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	var affinities preFilterState
	claims := 0
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claims++
		a, st := p.claimAffinity(pod.Namespace, v.PersistentVolumeClaim.ClaimName)
		if st != nil {
			return st
		}
		if a != nil {
			affinities = append(affinities, a)
		}
	}
	if claims == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(stateKey, affinities)
	return nil
}

// claimAffinity returns the node affinity of the volume bound to a claim.
func (p *Plugin) claimAffinity(ns, name string) (*corev1.VolumeNodeAffinity, *framework.Status) {
	pvc, err := p.pvcs.PersistentVolumeClaims(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q not found", name))
	}
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	if pvc.DeletionTimestamp != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q is being deleted", name))
	}
	if pvc.Spec.VolumeName == "" {
		if p.waitsForConsumer(pvc) {
			return nil, nil
		}
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnboundClaims)
	}
	pv, err := p.pvs.Get(pvc.Spec.VolumeName)
	if apierrors.IsNotFound(err) {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolume %q not found", pvc.Spec.VolumeName))
	}
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	return pv.Spec.NodeAffinity, nil
}

func (p *Plugin) waitsForConsumer(pvc *corev1.PersistentVolumeClaim) bool {
	if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName == "" {
		return false
	}
	sc, err := p.classes.Get(*pvc.Spec.StorageClassName)
	return err == nil && sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (*Plugin) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter implements framework.FilterPlugin.
func (*Plugin) Filter(_ context.Context, state *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	affinities, _ := state.Read(stateKey).(preFilterState)
	for _, a := range affinities {
		if a.Required != nil && !framework.NodeSelectorMatches(ni.Node(), a.Required) {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeConflict)
		}
	}
	return nil
}
