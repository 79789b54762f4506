// Package cache keeps the scheduler's view of nodes and the pods on them,
// fed by informers, plus the pods it has assumed onto nodes while their
// binding is in flight.
package cache

import (
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

type podState struct {
	pod     *corev1.Pod
	assumed bool
}

// image is one image's size and the nodes that have it.
type image struct {
	size  int64
	nodes map[string]bool
}

// Cache aggregates nodes and pods. It is safe for concurrent use.
type Cache struct {
	mu         sync.RWMutex
	nodes      map[string]*framework.NodeInfo
	pods       map[types.UID]*podState
	images     map[string]*image
	generation int64
	// nodeSetGen changes when a node is added or removed, so snapshots know
	// to rebuild their node list.
	nodeSetGen int64
	// dirty names the NodeInfos changed since the last UpdateSnapshot, so
	// that it need not look at every node.
	dirty map[string]bool
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{nodes: map[string]*framework.NodeInfo{}, pods: map[types.UID]*podState{}, images: map[string]*image{}, dirty: map[string]bool{}}
}

// touch marks the NodeInfo of node name changed.
func (c *Cache) touch(name string, ni *framework.NodeInfo) {
	c.generation++
	ni.Generation = c.generation
	c.dirty[name] = true
}

func (c *Cache) nodeInfo(name string) *framework.NodeInfo {
	ni, ok := c.nodes[name]
	if !ok {
		ni = framework.NewNodeInfo()
		c.nodes[name] = ni
	}
	return ni
}

// AddNode adds or replaces a node.
func (c *Cache) AddNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni, ok := c.nodes[node.Name]
	if !ok || ni.Node() == nil {
		c.generation++
		c.nodeSetGen = c.generation
	}
	ni = c.nodeInfo(node.Name)
	if old := ni.Node(); old != nil {
		c.removeImages(old)
	}
	c.addImages(node)
	ni.SetNode(node)
	c.touch(node.Name, ni)
}

// UpdateNode replaces a node.
func (c *Cache) UpdateNode(node *corev1.Node) { c.AddNode(node) }

// RemoveNode removes a node; its pods stay until they are deleted.
func (c *Cache) RemoveNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni, ok := c.nodes[node.Name]
	if !ok {
		return
	}
	if old := ni.Node(); old != nil {
		c.removeImages(old)
	}
	if len(ni.Pods) == 0 {
		delete(c.nodes, node.Name)
	} else {
		ni.RemoveNode()
		c.touch(node.Name, ni)
	}
	c.generation++
	c.nodeSetGen = c.generation
}

func (c *Cache) addImages(node *corev1.Node) {
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			name = framework.NormalizedImageName(name)
			st, ok := c.images[name]
			if !ok {
				st = &image{size: img.SizeBytes, nodes: map[string]bool{}}
				c.images[name] = st
			}
			st.nodes[node.Name] = true
		}
	}
}

func (c *Cache) removeImages(node *corev1.Node) {
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			name = framework.NormalizedImageName(name)
			if st, ok := c.images[name]; ok {
				delete(st.nodes, node.Name)
				if len(st.nodes) == 0 {
					delete(c.images, name)
				}
			}
		}
	}
}

// AssumePod adds pod (with spec.nodeName set) to its node before the
// binding is confirmed, so the next pods see its resources taken.
func (c *Cache) AssumePod(pod *corev1.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pod.UID]; ok {
		return fmt.Errorf("pod %s/%s is already in the cache", pod.Namespace, pod.Name)
	}
	c.addPod(pod, true)
	return nil
}

// ForgetPod removes an assumed pod whose binding failed.
func (c *Cache) ForgetPod(pod *corev1.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[pod.UID]
	if !ok || !ps.assumed {
		return fmt.Errorf("pod %s/%s is not assumed", pod.Namespace, pod.Name)
	}
	return c.removePod(ps.pod)
}

// IsAssumedPod reports whether pod is assumed and not yet confirmed.
func (c *Cache) IsAssumedPod(pod *corev1.Pod) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ps, ok := c.pods[pod.UID]
	return ok && ps.assumed
}

// AddPod adds a bound pod seen by the informer, confirming it if it was
// assumed (on whichever node it really landed).
func (c *Cache) AddPod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pod.UID]; ok {
		_ = c.removePod(ps.pod)
	}
	c.addPod(pod, false)
}

// UpdatePod replaces a bound pod.
func (c *Cache) UpdatePod(pod *corev1.Pod) { c.AddPod(pod) }

// RemovePod removes a pod; unknown pods are ignored.
func (c *Cache) RemovePod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pod.UID]; ok {
		_ = c.removePod(ps.pod)
	}
}

func (c *Cache) addPod(pod *corev1.Pod, assumed bool) {
	ni := c.nodeInfo(pod.Spec.NodeName)
	ni.AddPod(framework.NewPodInfo(pod))
	c.touch(pod.Spec.NodeName, ni)
	c.pods[pod.UID] = &podState{pod: pod, assumed: assumed}
}

func (c *Cache) removePod(pod *corev1.Pod) error {
	delete(c.pods, pod.UID)
	ni, ok := c.nodes[pod.Spec.NodeName]
	if !ok {
		return fmt.Errorf("node %s of pod %s/%s not in the cache", pod.Spec.NodeName, pod.Namespace, pod.Name)
	}
	if err := ni.RemovePod(pod); err != nil {
		return err
	}
	if len(ni.Pods) == 0 && ni.Node() == nil {
		delete(c.nodes, pod.Spec.NodeName)
		return nil
	}
	c.touch(pod.Spec.NodeName, ni)
	return nil
}

// Counts returns the number of nodes and pods, for logs and tests.
func (c *Cache) Counts() (nodes, pods int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, ni := range c.nodes {
		if ni.Node() != nil {
			nodes++
		}
	}
	return nodes, len(c.pods)
}
