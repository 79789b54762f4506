// Package schedtest has builders of test objects and a small harness
// that runs scheduler plugins over a fixed cluster, for the scheduler's
// unit tests.
package schedtest

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// PodBuilder builds a pod: MakePod().Name("a").Node("n1").Obj().
type PodBuilder struct{ p *corev1.Pod }

// MakePod starts a pod in namespace "default" with one container.
func MakePod() *PodBuilder {
	return &PodBuilder{p: &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Labels: map[string]string{}},
		Spec:       corev1.PodSpec{SchedulerName: "default-scheduler", Containers: []corev1.Container{{Name: "c", Image: "img"}}},
	}}
}

// Obj returns the pod.
func (b *PodBuilder) Obj() *corev1.Pod { return b.p }

// Name sets the name, and the UID to the name.
func (b *PodBuilder) Name(n string) *PodBuilder {
	b.p.Name, b.p.UID = n, types.UID(n)
	return b
}

// Namespace sets the namespace.
func (b *PodBuilder) Namespace(ns string) *PodBuilder {
	b.p.Namespace = ns
	return b
}

// Node binds the pod to node.
func (b *PodBuilder) Node(n string) *PodBuilder {
	b.p.Spec.NodeName = n
	return b
}

// Req sets the first container's requests, e.g. Req("cpu", "1", "memory", "1Gi").
func (b *PodBuilder) Req(kv ...string) *PodBuilder {
	b.p.Spec.Containers[0].Resources.Requests = ResourceList(kv...)
	return b
}

// Container adds a container with image and requests.
func (b *PodBuilder) Container(image string, kv ...string) *PodBuilder {
	b.p.Spec.Containers = append(b.p.Spec.Containers, corev1.Container{Name: image, Image: image, Resources: corev1.ResourceRequirements{Requests: ResourceList(kv...)}})
	return b
}

// Image sets the first container's image.
func (b *PodBuilder) Image(img string) *PodBuilder {
	b.p.Spec.Containers[0].Image = img
	return b
}

// With changes the spec with f.
func (b *PodBuilder) With(f func(*corev1.PodSpec)) *PodBuilder {
	f(&b.p.Spec)
	return b
}

// Label sets a label.
func (b *PodBuilder) Label(k, v string) *PodBuilder {
	b.p.Labels[k] = v
	return b
}

// Priority sets spec.priority.
func (b *PodBuilder) Priority(p int32) *PodBuilder {
	b.p.Spec.Priority = &p
	return b
}

// HostPort adds a host port on the first container.
func (b *PodBuilder) HostPort(ip string, proto corev1.Protocol, port int32) *PodBuilder {
	c := &b.p.Spec.Containers[0]
	c.Ports = append(c.Ports, corev1.ContainerPort{HostIP: ip, Protocol: proto, HostPort: port, ContainerPort: port})
	return b
}

// Toleration adds a toleration.
func (b *PodBuilder) Toleration(key, value string, op corev1.TolerationOperator, effect corev1.TaintEffect) *PodBuilder {
	b.p.Spec.Tolerations = append(b.p.Spec.Tolerations, corev1.Toleration{Key: key, Value: value, Operator: op, Effect: effect})
	return b
}

// NodeSelector sets spec.nodeSelector.
func (b *PodBuilder) NodeSelector(kv map[string]string) *PodBuilder {
	b.p.Spec.NodeSelector = kv
	return b
}

func (b *PodBuilder) affinity() *corev1.Affinity {
	if b.p.Spec.Affinity == nil {
		b.p.Spec.Affinity = &corev1.Affinity{}
	}
	return b.p.Spec.Affinity
}

// NodeAffinityIn requires the label key to be one of values.
func (b *PodBuilder) NodeAffinityIn(key string, values ...string) *PodBuilder {
	a := b.affinity()
	a.NodeAffinity = &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}}}},
	}}
	return b
}

// PreferredNodeAffinity adds a preferred term key In values.
func (b *PodBuilder) PreferredNodeAffinity(weight int32, key string, values ...string) *PodBuilder {
	a := b.affinity()
	if a.NodeAffinity == nil {
		a.NodeAffinity = &corev1.NodeAffinity{}
	}
	a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution, corev1.PreferredSchedulingTerm{
		Weight: weight, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}}},
	})
	return b
}

func term(topologyKey string, labels map[string]string) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: labels}, TopologyKey: topologyKey}
}

// PodAffinity adds a required affinity term.
func (b *PodBuilder) PodAffinity(topologyKey string, labels map[string]string) *PodBuilder {
	a := b.affinity()
	if a.PodAffinity == nil {
		a.PodAffinity = &corev1.PodAffinity{}
	}
	a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, term(topologyKey, labels))
	return b
}

// PodAntiAffinity adds a required anti-affinity term.
func (b *PodBuilder) PodAntiAffinity(topologyKey string, labels map[string]string) *PodBuilder {
	a := b.affinity()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, term(topologyKey, labels))
	return b
}

// PreferredPodAffinity adds a preferred affinity term (negative weight:
// anti-affinity).
func (b *PodBuilder) PreferredPodAffinity(weight int32, topologyKey string, labels map[string]string) *PodBuilder {
	a := b.affinity()
	wt := corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: term(topologyKey, labels)}
	if weight < 0 {
		if a.PodAntiAffinity == nil {
			a.PodAntiAffinity = &corev1.PodAntiAffinity{}
		}
		wt.Weight = -weight
		a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, wt)
		return b
	}
	if a.PodAffinity == nil {
		a.PodAffinity = &corev1.PodAffinity{}
	}
	a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution, wt)
	return b
}

// Spread adds a topology spread constraint selecting labels.
func (b *PodBuilder) Spread(maxSkew int32, key string, when corev1.UnsatisfiableConstraintAction, labels map[string]string) *PodBuilder {
	b.p.Spec.TopologySpreadConstraints = append(b.p.Spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
		MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: when, LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
	})
	return b
}

// PVC mounts the claim.
func (b *PodBuilder) PVC(claim string) *PodBuilder {
	b.p.Spec.Volumes = append(b.p.Spec.Volumes, corev1.Volume{Name: claim, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	return b
}

// NodeBuilder builds a node: MakeNode().Name("n1").Capacity("cpu", "4").Obj().
type NodeBuilder struct{ n *corev1.Node }

// MakeNode starts a node with 4 cpu, 8Gi memory and room for 110 pods.
func MakeNode() *NodeBuilder {
	b := &NodeBuilder{n: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}}}}
	return b.Capacity("cpu", "4", "memory", "8Gi", "pods", "110")
}

// Obj returns the node.
func (b *NodeBuilder) Obj() *corev1.Node { return b.n }

// Name sets the name and the hostname label.
func (b *NodeBuilder) Name(n string) *NodeBuilder {
	b.n.Name = n
	b.n.Labels[corev1.LabelHostname] = n
	return b
}

// Capacity sets capacity and allocatable, e.g. Capacity("cpu", "4").
func (b *NodeBuilder) Capacity(kv ...string) *NodeBuilder {
	rl := ResourceList(kv...)
	b.n.Status.Capacity, b.n.Status.Allocatable = rl, rl.DeepCopy()
	return b
}

// Label sets a label.
func (b *NodeBuilder) Label(k, v string) *NodeBuilder {
	b.n.Labels[k] = v
	return b
}

// Taint adds a taint.
func (b *NodeBuilder) Taint(key, value string, effect corev1.TaintEffect) *NodeBuilder {
	b.n.Spec.Taints = append(b.n.Spec.Taints, corev1.Taint{Key: key, Value: value, Effect: effect})
	return b
}

// Unschedulable cordons the node.
func (b *NodeBuilder) Unschedulable() *NodeBuilder {
	b.n.Spec.Unschedulable = true
	return b
}

// Image adds an image of size bytes under names.
func (b *NodeBuilder) Image(size int64, names ...string) *NodeBuilder {
	b.n.Status.Images = append(b.n.Status.Images, corev1.ContainerImage{Names: names, SizeBytes: size})
	return b
}

// ResourceList parses name, quantity pairs.
func ResourceList(kv ...string) corev1.ResourceList {
	rl := corev1.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		rl[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return rl
}
