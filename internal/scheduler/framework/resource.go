package framework

import (
	corev1 "k8s.io/api/core/v1"
)

// Default requests that scoring assumes for a container that sets none,
// as kube-scheduler: 0.1 core and 200 MiB.
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// Resource is an amount of every schedulable resource.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	AllowedPodNumber int64
	// Scalar holds extended resources (nvidia.com/gpu, hugepages-*, ...).
	Scalar map[corev1.ResourceName]int64
}

// NewResource converts a ResourceList.
func NewResource(rl corev1.ResourceList) *Resource {
	r := &Resource{}
	r.Add(rl)
	return r
}

// Add adds every quantity of rl.
func (r *Resource) Add(rl corev1.ResourceList) {
	for name, q := range rl {
		switch name {
		case corev1.ResourceCPU:
			r.MilliCPU += q.MilliValue()
		case corev1.ResourceMemory:
			r.Memory += q.Value()
		case corev1.ResourceEphemeralStorage:
			r.EphemeralStorage += q.Value()
		case corev1.ResourcePods:
			r.AllowedPodNumber += q.Value()
		default:
			if IsScalarResource(name) {
				r.AddScalar(name, q.Value())
			}
		}
	}
}

// AddScalar adds v of the extended resource name.
func (r *Resource) AddScalar(name corev1.ResourceName, v int64) {
	if r.Scalar == nil {
		r.Scalar = map[corev1.ResourceName]int64{}
	}
	r.Scalar[name] += v
}

// Plus adds o to r.
func (r *Resource) Plus(o *Resource) {
	r.combine(o, 1)
}

func (r *Resource) combine(o *Resource, sign int64) {
	r.MilliCPU += sign * o.MilliCPU
	r.Memory += sign * o.Memory
	r.EphemeralStorage += sign * o.EphemeralStorage
	r.AllowedPodNumber += sign * o.AllowedPodNumber
	for k, v := range o.Scalar {
		r.AddScalar(k, sign*v)
	}
}

// setMax raises every amount of r to at least o's.
func (r *Resource) setMax(o *Resource) {
	r.MilliCPU = max(r.MilliCPU, o.MilliCPU)
	r.Memory = max(r.Memory, o.Memory)
	r.EphemeralStorage = max(r.EphemeralStorage, o.EphemeralStorage)
	for k, v := range o.Scalar {
		if v > r.Scalar[k] {
			r.AddScalar(k, v-r.Scalar[k])
		}
	}
}

// Clone returns a deep copy.
func (r *Resource) Clone() *Resource {
	out := *r
	if r.Scalar != nil {
		out.Scalar = make(map[corev1.ResourceName]int64, len(r.Scalar))
		for k, v := range r.Scalar {
			out.Scalar[k] = v
		}
	}
	return &out
}

// Get returns the amount of a resource by name.
func (r *Resource) Get(name corev1.ResourceName) int64 {
	switch name {
	case corev1.ResourceCPU:
		return r.MilliCPU
	case corev1.ResourceMemory:
		return r.Memory
	case corev1.ResourceEphemeralStorage:
		return r.EphemeralStorage
	case corev1.ResourcePods:
		return r.AllowedPodNumber
	}
	return r.Scalar[name]
}

// IsScalarResource reports whether name is an extended, hugepages or
// attachable-volume resource, which the fit check counts like cpu.
func IsScalarResource(name corev1.ResourceName) bool {
	switch name {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage, corev1.ResourcePods:
		return false
	}
	return true
}

// PodRequests returns what a pod asks for, as the kubelet admits it: the
// larger of its containers' sum and its biggest init container, counting
// sidecars (restartable init containers) as running alongside, plus the
// pod overhead. With nonZero set, a container without a cpu or memory
// request counts the scoring defaults instead.
func PodRequests(pod *corev1.Pod, nonZero bool) *Resource {
	req := &Resource{}
	for i := range pod.Spec.Containers {
		req.Plus(containerRequests(&pod.Spec.Containers[i], nonZero))
	}
	sidecars, inits := &Resource{}, &Resource{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cr := containerRequests(c, nonZero)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			req.Plus(cr)
			sidecars.Plus(cr)
			cr = sidecars.Clone()
		} else {
			cr.Plus(sidecars)
		}
		inits.setMax(cr)
	}
	req.setMax(inits)
	if pr := pod.Spec.Resources; pr != nil {
		if q, ok := pr.Requests[corev1.ResourceCPU]; ok {
			req.MilliCPU = q.MilliValue()
		}
		if q, ok := pr.Requests[corev1.ResourceMemory]; ok {
			req.Memory = q.Value()
		}
	}
	req.Add(pod.Spec.Overhead)
	return req
}

func containerRequests(c *corev1.Container, nonZero bool) *Resource {
	r := NewResource(c.Resources.Requests)
	if nonZero {
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			r.MilliCPU = DefaultMilliCPURequest
		}
		if _, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok {
			r.Memory = DefaultMemoryRequest
		}
	}
	return r
}
