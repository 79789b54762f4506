package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// addEventHandlers feeds the cache and the queue from the informers.
func (s *Scheduler) addEventHandlers() error {
	f := s.informers
	handlers := []struct {
		informer cache.SharedIndexInformer
		handler  cache.ResourceEventHandler
	}{
		{f.Core().V1().Pods().Informer(), cache.ResourceEventHandlerFuncs{AddFunc: s.addPod, UpdateFunc: s.updatePod, DeleteFunc: s.deletePod}},
		{f.Core().V1().Nodes().Informer(), cache.ResourceEventHandlerFuncs{AddFunc: s.addNode, UpdateFunc: s.updateNode, DeleteFunc: s.deleteNode}},
		{f.Core().V1().PersistentVolumes().Informer(), s.moveOn(framework.PersistentVolume)},
		{f.Core().V1().PersistentVolumeClaims().Informer(), s.moveOn(framework.PersistentVolumeClaim)},
		{f.Storage().V1().StorageClasses().Informer(), s.moveOn(framework.StorageClass)},
		{f.Core().V1().Services().Informer(), s.moveOn(framework.Service)},
		{f.Scheduling().V1().PriorityClasses().Informer(), cache.ResourceEventHandlerFuncs{}},
	}
	for _, h := range handlers {
		if _, err := h.informer.AddEventHandler(h.handler); err != nil {
			return err
		}
	}
	return nil
}

// moveOn retries the pods interested in any change of resource.
func (s *Scheduler) moveOn(resource framework.EventResource) cache.ResourceEventHandler {
	move := func(a framework.ActionType) {
		s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: resource, Action: a, Label: string(resource)}, nil)
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { move(framework.Add) },
		UpdateFunc: func(any, any) { move(framework.Update) },
		DeleteFunc: func(any) { move(framework.Delete) },
	}
}

func (s *Scheduler) responsible(pod *corev1.Pod) bool {
	return pod.Spec.SchedulerName == s.cfg.SchedulerName
}

func terminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

func (s *Scheduler) addPod(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || terminal(pod) {
		return
	}
	pod = s.withPriority(pod)
	if pod.Spec.NodeName != "" {
		s.cache.AddPod(pod)
		s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: framework.AssignedPod, Action: framework.Add, Label: "AssignedPodAdd"}, nil)
		return
	}
	if s.responsible(pod) {
		s.queue.Add(pod)
	}
}

func (s *Scheduler) updatePod(oldObj, newObj any) {
	oldPod, ok1 := oldObj.(*corev1.Pod)
	pod, ok2 := newObj.(*corev1.Pod)
	if !ok1 || !ok2 {
		return
	}
	switch {
	case terminal(pod):
		s.deletePod(oldPod)
	case pod.Spec.NodeName == "":
		if s.responsible(pod) {
			s.queue.Update(s.withPriority(oldPod), s.withPriority(pod))
		}
	case oldPod.Spec.NodeName == "":
		// Bound: it leaves the queue and enters the cache, confirming the
		// assumed pod.
		s.queue.Delete(oldPod)
		s.addPod(pod)
	default:
		s.cache.UpdatePod(s.withPriority(pod))
		if a := podChange(oldPod, pod); a != 0 {
			s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: framework.AssignedPod, Action: a, Label: "AssignedPodUpdate"}, nil)
		}
	}
}

// podChange classifies an update of a bound pod.
func podChange(oldPod, pod *corev1.Pod) framework.ActionType {
	var a framework.ActionType
	if !equality.Semantic.DeepEqual(oldPod.Labels, pod.Labels) {
		a |= framework.UpdatePodLabel
	}
	oldReq, req := framework.PodRequests(oldPod, false), framework.PodRequests(pod, false)
	if req.MilliCPU < oldReq.MilliCPU || req.Memory < oldReq.Memory {
		a |= framework.UpdatePodScaleDown
	}
	return a
}

func (s *Scheduler) deletePod(obj any) {
	pod, ok := tombstone[*corev1.Pod](obj)
	if !ok {
		return
	}
	if pod.Spec.NodeName == "" {
		s.queue.Delete(pod)
		return
	}
	s.cache.RemovePod(pod)
	s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: framework.AssignedPod, Action: framework.Delete, Label: "AssignedPodDelete"}, nil)
}

// withPriority fills spec.priority and spec.preemptionPolicy from the
// pod's PriorityClass (or the global default class) when admission has
// not, so that queue order and preemption see them.
func (s *Scheduler) withPriority(pod *corev1.Pod) *corev1.Pod {
	if pod.Spec.Priority != nil {
		return pod
	}
	var class *schedulingv1.PriorityClass
	if name := pod.Spec.PriorityClassName; name != "" {
		class, _ = s.classes.Get(name)
	} else {
		classes, _ := s.classes.List(labels.Everything())
		for _, pc := range classes {
			if pc.GlobalDefault {
				class = pc
			}
		}
	}
	if class == nil {
		return pod
	}
	pod = pod.DeepCopy()
	pod.Spec.Priority = &class.Value
	if pod.Spec.PreemptionPolicy == nil {
		pod.Spec.PreemptionPolicy = class.PreemptionPolicy
	}
	return pod
}

func (s *Scheduler) addNode(obj any) {
	node, ok := obj.(*corev1.Node)
	if !ok {
		return
	}
	s.cache.AddNode(node)
	s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: framework.Node, Action: framework.Add, Label: "NodeAdd"}, nil)
}

func (s *Scheduler) updateNode(oldObj, newObj any) {
	oldNode, ok1 := oldObj.(*corev1.Node)
	node, ok2 := newObj.(*corev1.Node)
	if !ok1 || !ok2 {
		return
	}
	s.cache.UpdateNode(node)
	if a := nodeChange(oldNode, node); a != 0 {
		s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: framework.Node, Action: a, Label: "NodeUpdate"}, nil)
	}
}

// nodeChange classifies what changed in a node that matters to
// scheduling; heartbeats alone give 0.
func nodeChange(oldNode, node *corev1.Node) framework.ActionType {
	var a framework.ActionType
	if !equality.Semantic.DeepEqual(oldNode.Status.Allocatable, node.Status.Allocatable) {
		a |= framework.UpdateNodeAllocatable
	}
	if !equality.Semantic.DeepEqual(oldNode.Labels, node.Labels) {
		a |= framework.UpdateNodeLabel
	}
	if oldNode.Spec.Unschedulable != node.Spec.Unschedulable || !equality.Semantic.DeepEqual(oldNode.Spec.Taints, node.Spec.Taints) {
		a |= framework.UpdateNodeTaint
	}
	if !equality.Semantic.DeepEqual(conditionStatuses(oldNode), conditionStatuses(node)) {
		a |= framework.UpdateNodeCondition
	}
	return a
}

func conditionStatuses(n *corev1.Node) map[corev1.NodeConditionType]corev1.ConditionStatus {
	out := make(map[corev1.NodeConditionType]corev1.ConditionStatus, len(n.Status.Conditions))
	for _, c := range n.Status.Conditions {
		out[c.Type] = c.Status
	}
	return out
}

func (s *Scheduler) deleteNode(obj any) {
	if node, ok := tombstone[*corev1.Node](obj); ok {
		s.cache.RemoveNode(node)
	}
}
