package kubelet

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// systemCriticalPriority is scheduling.SystemCriticalPriority: pods at
// or above it are never evicted.
const systemCriticalPriority = 2000000000

// podUsage is what a pod's containers use of the resource being
// reclaimed, in bytes, by container name.
type podUsage map[string]int64

func (u podUsage) total() int64 {
	var n int64
	for _, v := range u {
		n += v
	}
	return n
}

// candidate is a pod the eviction manager may evict, with its usage.
type candidate struct {
	pod   *corev1.Pod
	usage podUsage
}

// rankForEviction orders candidates as Kubernetes' eviction manager
// does for res (memory or ephemeral-storage): pods using more than they
// request first, then lower priority first, then those whose usage
// exceeds their request by more.
func rankForEviction(cs []candidate, res corev1.ResourceName) {
	slices.SortStableFunc(cs, func(a, b candidate) int {
		ra, rb := podRequest(a.pod, res), podRequest(b.pod, res)
		ea, eb := a.usage.total() > ra, b.usage.total() > rb
		if ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(podPriority(a.pod), podPriority(b.pod)); c != 0 {
			return c
		}
		return cmp.Compare(b.usage.total()-rb, a.usage.total()-ra)
	})
}

// podRequest is the pod's effective request of res: the larger of its
// containers' sum and its largest init container, as the scheduler
// counts it.
func podRequest(pod *corev1.Pod, res corev1.ResourceName) int64 {
	var sum, initMax int64
	for _, c := range pod.Spec.Containers {
		sum += requestOf(c, res)
	}
	for _, c := range pod.Spec.InitContainers {
		initMax = max(initMax, requestOf(c, res))
	}
	return max(sum, initMax)
}

func requestOf(c corev1.Container, res corev1.ResourceName) int64 {
	q := c.Resources.Requests[res]
	return q.Value()
}

func podPriority(pod *corev1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// evictable reports whether the eviction manager may evict pod: not a
// static, mirror or system-critical pod (Kubernetes' IsCriticalPod), and
// not already finished or being deleted.
func evictable(pod *corev1.Pod) bool {
	if src, ok := pod.Annotations["kubernetes.io/config.source"]; ok && src != "api" {
		return false
	}
	if _, ok := pod.Annotations["kubernetes.io/config.mirror"]; ok {
		return false
	}
	if podPriority(pod) >= systemCriticalPriority {
		return false
	}
	return pod.DeletionTimestamp == nil && !isTerminal(pod.Status.Phase)
}

// evictionMessage is the Evicted status message, worded as Kubernetes'
// (trailing space included).
func evictionMessage(res corev1.ResourceName, c candidate, met thresholdMet) string {
	msg := fmt.Sprintf("The node was low on resource: %v. ", res)
	limit := met.limit(met.obs.capacity)
	msg += fmt.Sprintf("Threshold quantity: %v, available: %v. ", limit, resource.NewQuantity(met.obs.available, resource.BinarySI))
	for _, ctr := range c.pod.Spec.Containers {
		used, ok := c.usage[ctr.Name]
		req := ctr.Resources.Requests[res]
		if ok && used > req.Value() {
			msg += fmt.Sprintf("Container %s was using %v, request is %v, has larger consumption of %v. ", ctr.Name, resource.NewQuantity(used, resource.BinarySI), &req, res)
		}
	}
	return msg
}
