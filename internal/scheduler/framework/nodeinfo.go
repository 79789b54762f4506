package framework

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ImageState is what the cluster knows about one image on a node.
type ImageState struct {
	Size int64
	// NumNodes is how many nodes have the image.
	NumNodes int
}

// NodeInfo is a node with the pods on it and their aggregated requests.
type NodeInfo struct {
	node *corev1.Node
	// The node's name, cordon and taints, copied from node so that the
	// filters every node goes through read the NodeInfo alone: the first
	// touch of each large Node object is a cache miss per node per pod.
	name                         string
	unschedulable                bool
	taints                       []corev1.Taint
	Pods                         []*PodInfo
	PodsWithAffinity             []*PodInfo
	PodsWithRequiredAntiAffinity []*PodInfo
	UsedPorts                    HostPorts
	// Requested sums the pods' requests; NonZeroRequested uses the scoring
	// defaults for containers without requests. They are values, not
	// pointers, so that filters reading them touch one object per node.
	Requested        Resource
	NonZeroRequested Resource
	Allocatable      Resource
	// ImageStates is keyed by normalized image name (with a tag).
	ImageStates map[string]*ImageState
	// Generation is set by the cache on every change, so that snapshots
	// copy only the NodeInfos that changed.
	Generation int64
}

// NewNodeInfo returns an empty NodeInfo, without a node yet.
func NewNodeInfo() *NodeInfo {
	return &NodeInfo{UsedPorts: HostPorts{}, ImageStates: map[string]*ImageState{}}
}

// Node returns the node, nil if only its pods are known.
func (n *NodeInfo) Node() *corev1.Node { return n.node }

// NodeName returns the node's name; the NodeInfo must have a node.
func (n *NodeInfo) NodeName() string { return n.name }

// Unschedulable returns the node's spec.unschedulable.
func (n *NodeInfo) Unschedulable() bool { return n.unschedulable }

// Taints returns the node's spec.taints, which must not be changed.
func (n *NodeInfo) Taints() []corev1.Taint { return n.taints }

// SetNode sets the node and its allocatable resources.
func (n *NodeInfo) SetNode(node *corev1.Node) {
	n.node = node
	n.name, n.unschedulable, n.taints = node.Name, node.Spec.Unschedulable, node.Spec.Taints
	n.Allocatable = *NewResource(node.Status.Allocatable)
}

// RemoveNode forgets the node but keeps its pods.
func (n *NodeInfo) RemoveNode() {
	n.node, n.name, n.unschedulable, n.taints = nil, "", false, nil
}

// AddPod adds a pod and its requests, ports and affinity.
func (n *NodeInfo) AddPod(pi *PodInfo) {
	n.Pods = append(n.Pods, pi)
	if pi.HasAffinity() {
		n.PodsWithAffinity = append(n.PodsWithAffinity, pi)
	}
	if len(pi.RequiredAntiAffinityTerms) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, pi)
	}
	n.update(pi, 1)
}

// RemovePod removes the pod with pod's UID; it fails if there is none.
func (n *NodeInfo) RemovePod(pod *corev1.Pod) error {
	i := indexOf(n.Pods, pod.UID)
	if i < 0 {
		return fmt.Errorf("pod %s/%s not found on node", pod.Namespace, pod.Name)
	}
	pi := n.Pods[i]
	n.Pods = removeAt(n.Pods, i)
	if j := indexOf(n.PodsWithAffinity, pod.UID); j >= 0 {
		n.PodsWithAffinity = removeAt(n.PodsWithAffinity, j)
	}
	if j := indexOf(n.PodsWithRequiredAntiAffinity, pod.UID); j >= 0 {
		n.PodsWithRequiredAntiAffinity = removeAt(n.PodsWithRequiredAntiAffinity, j)
	}
	n.update(pi, -1)
	return nil
}

func (n *NodeInfo) update(pi *PodInfo, sign int64) {
	n.Requested.combine(pi.Requests, sign)
	n.NonZeroRequested.MilliCPU += sign * pi.NonZeroRequests.MilliCPU
	n.NonZeroRequested.Memory += sign * pi.NonZeroRequests.Memory
	for _, p := range HostPortsOf(pi.Pod) {
		if sign > 0 {
			n.UsedPorts.Add(p)
		} else {
			n.UsedPorts.Remove(p)
		}
	}
}

func indexOf(pods []*PodInfo, uid types.UID) int {
	for i, p := range pods {
		if p.Pod.UID == uid {
			return i
		}
	}
	return -1
}

// removeAt returns pods without element i, in a new array so that clones
// sharing the old one are not changed.
func removeAt(pods []*PodInfo, i int) []*PodInfo {
	out := make([]*PodInfo, 0, len(pods)-1)
	out = append(out, pods[:i]...)
	return append(out, pods[i+1:]...)
}

// Clone returns a copy that can be changed without affecting n; the pods
// themselves are shared and must not be changed.
func (n *NodeInfo) Clone() *NodeInfo {
	out := &NodeInfo{
		node:                         n.node,
		name:                         n.name,
		unschedulable:                n.unschedulable,
		taints:                       n.taints,
		Pods:                         append([]*PodInfo(nil), n.Pods...),
		PodsWithAffinity:             append([]*PodInfo(nil), n.PodsWithAffinity...),
		PodsWithRequiredAntiAffinity: append([]*PodInfo(nil), n.PodsWithRequiredAntiAffinity...),
		UsedPorts:                    n.UsedPorts.Clone(),
		Requested:                    *n.Requested.Clone(),
		NonZeroRequested:             *n.NonZeroRequested.Clone(),
		Allocatable:                  *n.Allocatable.Clone(),
		ImageStates:                  n.ImageStates,
		Generation:                   n.Generation,
	}
	return out
}

// NormalizedImageName adds the implied ":latest" tag to an untagged name,
// as the kubelet reports images.
func NormalizedImageName(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		return name + ":latest"
	}
	return name
}
