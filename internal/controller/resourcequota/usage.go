package resourcequota

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Objects are a namespace's objects quota counts.
type Objects struct {
	Pods                   []*corev1.Pod
	Services               []*corev1.Service
	ConfigMaps             []*corev1.ConfigMap
	Secrets                []*corev1.Secret
	PersistentVolumeClaims []*corev1.PersistentVolumeClaim
	ReplicationControllers []*corev1.ReplicationController
	ResourceQuotas         []*corev1.ResourceQuota
}

// Used returns the usage of each resource of hard that Objects can
// measure, at now.
func Used(hard corev1.ResourceList, objs Objects, now time.Time) corev1.ResourceList {
	var active []*corev1.Pod
	for _, p := range objs.Pods {
		if !Terminal(p, now) {
			active = append(active, p)
		}
	}
	counts := map[corev1.ResourceName]int{
		corev1.ResourcePods:                   len(active),
		corev1.ResourceServices:               len(objs.Services),
		corev1.ResourceConfigMaps:             len(objs.ConfigMaps),
		corev1.ResourceSecrets:                len(objs.Secrets),
		corev1.ResourcePersistentVolumeClaims: len(objs.PersistentVolumeClaims),
		corev1.ResourceReplicationControllers: len(objs.ReplicationControllers),
		corev1.ResourceQuotas:                 len(objs.ResourceQuotas),
	}
	var nodePorts, lbs int
	for _, s := range objs.Services {
		switch s.Spec.Type {
		case corev1.ServiceTypeNodePort:
			nodePorts += len(s.Spec.Ports)
		case corev1.ServiceTypeLoadBalancer:
			lbs++
			if a := s.Spec.AllocateLoadBalancerNodePorts; a == nil || *a {
				nodePorts += len(s.Spec.Ports)
			} else {
				for _, p := range s.Spec.Ports {
					if p.NodePort != 0 {
						nodePorts++
					}
				}
			}
		}
	}
	counts[corev1.ResourceServicesNodePorts] = nodePorts
	counts[corev1.ResourceServicesLoadBalancers] = lbs

	var requests, limits corev1.ResourceList
	compute := func() {
		if requests != nil {
			return
		}
		requests, limits = corev1.ResourceList{}, corev1.ResourceList{}
		for _, p := range active {
			add(requests, PodResources(p, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Requests }))
			add(limits, PodResources(p, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Limits }))
		}
	}
	used := corev1.ResourceList{}
	for name := range hard {
		if n, ok := counts[name]; ok {
			used[name] = *resource.NewQuantity(int64(n), resource.DecimalSI)
			continue
		}
		if base, ok := strings.CutPrefix(string(name), "count/"); ok {
			if n, ok := counts[corev1.ResourceName(base)]; ok && isCountable(corev1.ResourceName(base)) {
				used[name] = *resource.NewQuantity(int64(n), resource.DecimalSI)
			}
			continue
		}
		switch name {
		case corev1.ResourceCPU, corev1.ResourceRequestsCPU:
			compute()
			used[name] = quantity(requests, corev1.ResourceCPU, resource.DecimalSI)
		case corev1.ResourceMemory, corev1.ResourceRequestsMemory:
			compute()
			used[name] = quantity(requests, corev1.ResourceMemory, resource.BinarySI)
		case corev1.ResourceLimitsCPU:
			compute()
			used[name] = quantity(limits, corev1.ResourceCPU, resource.DecimalSI)
		case corev1.ResourceLimitsMemory:
			compute()
			used[name] = quantity(limits, corev1.ResourceMemory, resource.BinarySI)
		case corev1.ResourceRequestsStorage:
			total := resource.NewQuantity(0, resource.BinarySI)
			for _, c := range objs.PersistentVolumeClaims {
				if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
					total.Add(q)
				}
			}
			used[name] = *total
		}
	}
	return used
}

// isCountable reports whether count/<r> names one of the object counts
// (services.nodeports and services.loadbalancers are not objects).
func isCountable(r corev1.ResourceName) bool {
	return r != corev1.ResourceServicesNodePorts && r != corev1.ResourceServicesLoadBalancers
}

// quantity is l[name], or a zero of format f.
func quantity(l corev1.ResourceList, name corev1.ResourceName, f resource.Format) resource.Quantity {
	if q, ok := l[name]; ok {
		return q
	}
	return *resource.NewQuantity(0, f)
}

// add adds each quantity of b to a.
func add(a, b corev1.ResourceList) {
	for name, q := range b {
		if cur, ok := a[name]; ok {
			cur.Add(q)
			a[name] = cur
		} else {
			a[name] = q.DeepCopy()
		}
	}
}

// maxInto sets each a[name] to the larger of it and b[name].
func maxInto(a, b corev1.ResourceList) {
	for name, q := range b {
		if cur, ok := a[name]; !ok || q.Cmp(cur) > 0 {
			a[name] = q.DeepCopy()
		}
	}
}

// Terminal reports whether pod no longer counts against quota: it
// succeeded or failed, or its deletion grace period has passed.
func Terminal(pod *corev1.Pod, now time.Time) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return true
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil {
		end := pod.DeletionTimestamp.Add(time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second)
		return now.After(end)
	}
	return false
}

// PodResources sums what of (a container's requests or limits) over pod
// as Kubernetes does: pod-level resources when set; otherwise the sum of
// the containers and sidecars, or the largest init container step if
// larger, plus the pod overhead.
func PodResources(pod *corev1.Pod, what func(corev1.ResourceRequirements) corev1.ResourceList) corev1.ResourceList {
	sum := corev1.ResourceList{}
	if pod.Spec.Resources != nil && len(what(*pod.Spec.Resources)) > 0 {
		add(sum, what(*pod.Spec.Resources))
		add(sum, pod.Spec.Overhead)
		return sum
	}
	for _, c := range pod.Spec.Containers {
		add(sum, what(c.Resources))
	}
	sidecars, initMax := corev1.ResourceList{}, corev1.ResourceList{}
	for _, c := range pod.Spec.InitContainers {
		step := corev1.ResourceList{}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(sum, what(c.Resources))
			add(sidecars, what(c.Resources))
			add(step, sidecars)
		} else {
			add(step, what(c.Resources))
			add(step, sidecars)
		}
		maxInto(initMax, step)
	}
	maxInto(sum, initMax)
	add(sum, pod.Spec.Overhead)
	return sum
}
