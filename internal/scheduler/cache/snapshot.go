package cache

import (
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Snapshot is a consistent copy of the cache for one scheduling cycle. It
// implements framework.NodeInfoLister. UpdateSnapshot refreshes only the
// nodes that changed since the last call.
type Snapshot struct {
	nodes                    map[string]*framework.NodeInfo
	list                     []*framework.NodeInfo
	index                    map[string]int // node name → place in list
	withAffinity             []*framework.NodeInfo
	withRequiredAntiAffinity []*framework.NodeInfo
	generation               int64
	nodeSetGen               int64
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot {
	return &Snapshot{nodes: map[string]*framework.NodeInfo{}, index: map[string]int{}}
}

// List implements framework.NodeInfoLister. Nodes are interleaved by zone
// so that scoring a fraction of them still sees every zone.
func (s *Snapshot) List() []*framework.NodeInfo { return s.list }

// HavePodsWithAffinityList implements framework.NodeInfoLister.
func (s *Snapshot) HavePodsWithAffinityList() []*framework.NodeInfo { return s.withAffinity }

// HavePodsWithRequiredAntiAffinityList implements framework.NodeInfoLister.
func (s *Snapshot) HavePodsWithRequiredAntiAffinityList() []*framework.NodeInfo {
	return s.withRequiredAntiAffinity
}

// Get implements framework.NodeInfoLister.
func (s *Snapshot) Get(name string) *framework.NodeInfo { return s.nodes[name] }

// UpdateSnapshot brings s up to date with the cache, copying only the
// nodes that changed. The cache serves one snapshot: the scheduler's.
func (c *Cache) UpdateSnapshot(s *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.generation == s.generation {
		return
	}
	affinityChanged := false
	sameNodes := c.nodeSetGen <= s.nodeSetGen
	for name := range c.dirty {
		ni, ok := c.nodes[name]
		if !ok || ni.Node() == nil {
			continue
		}
		old := s.nodes[name]
		clone := ni.Clone()
		clone.ImageStates = c.imageStates(ni.Node())
		s.nodes[name] = clone
		if sameNodes {
			s.list[s.index[name]] = clone
		}
		if len(clone.PodsWithAffinity) > 0 || (old != nil && len(old.PodsWithAffinity) > 0) {
			affinityChanged = true
		}
	}
	if !sameNodes {
		for name := range s.nodes {
			if ni, ok := c.nodes[name]; !ok || ni.Node() == nil {
				delete(s.nodes, name)
			}
		}
		s.list = zoneInterleaved(s.nodes)
		clear(s.index)
		for i, ni := range s.list {
			s.index[ni.NodeName()] = i
		}
		s.nodeSetGen = c.nodeSetGen
		affinityChanged = true
	}
	if affinityChanged {
		s.withAffinity, s.withRequiredAntiAffinity = nil, nil
		for _, ni := range s.list {
			if len(ni.PodsWithAffinity) > 0 {
				s.withAffinity = append(s.withAffinity, ni)
			}
			if len(ni.PodsWithRequiredAntiAffinity) > 0 {
				s.withRequiredAntiAffinity = append(s.withRequiredAntiAffinity, ni)
			}
		}
	}
	s.generation = c.generation
	clear(c.dirty)
}

// imageStates returns nil for a node without images: scorers then learn
// so from the NodeInfo alone, without reading a map per node.
func (c *Cache) imageStates(node *corev1.Node) map[string]*framework.ImageState {
	if len(node.Status.Images) == 0 {
		return nil
	}
	out := make(map[string]*framework.ImageState, len(node.Status.Images))
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			name = framework.NormalizedImageName(name)
			if st, ok := c.images[name]; ok {
				out[name] = &framework.ImageState{Size: st.size, NumNodes: len(st.nodes)}
			}
		}
	}
	return out
}

// zoneInterleaved orders nodes zone by zone in turn (zone-a's first,
// zone-b's first, ...), names sorted within a zone.
func zoneInterleaved(nodes map[string]*framework.NodeInfo) []*framework.NodeInfo {
	byZone := map[string][]*framework.NodeInfo{}
	for _, ni := range nodes {
		z := zoneKey(ni.Node())
		byZone[z] = append(byZone[z], ni)
	}
	zones := make([]string, 0, len(byZone))
	for z, l := range byZone {
		zones = append(zones, z)
		sort.Slice(l, func(i, j int) bool { return l[i].NodeName() < l[j].NodeName() })
	}
	sort.Strings(zones)
	out := make([]*framework.NodeInfo, 0, len(nodes))
	for i := 0; len(out) < len(nodes); i++ {
		for _, z := range zones {
			if i < len(byZone[z]) {
				out = append(out, byZone[z][i])
			}
		}
	}
	return out
}

func zoneKey(n *corev1.Node) string {
	return n.Labels[corev1.LabelTopologyRegion] + ":\x00:" + n.Labels[corev1.LabelTopologyZone]
}
