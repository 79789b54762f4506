package framework

// EventResource is the kind of object a cluster event is about.
type EventResource string

// Resources the scheduler watches.
const (
	Node                  EventResource = "Node"
	AssignedPod           EventResource = "AssignedPod"
	PersistentVolume      EventResource = "PersistentVolume"
	PersistentVolumeClaim EventResource = "PersistentVolumeClaim"
	StorageClass          EventResource = "StorageClass"
	Service               EventResource = "Service"
	// WildCard matches every resource.
	WildCard EventResource = "*"
)

// ActionType is a bit set of what happened to the object.
type ActionType uint32

// Actions; Update* bits say which part of an object changed.
const (
	Add ActionType = 1 << iota
	Delete
	UpdateNodeAllocatable
	UpdateNodeLabel
	UpdateNodeTaint
	UpdateNodeCondition
	UpdatePodLabel
	UpdatePodScaleDown
	UpdateOther

	Update = UpdateNodeAllocatable | UpdateNodeLabel | UpdateNodeTaint | UpdateNodeCondition | UpdatePodLabel | UpdatePodScaleDown | UpdateOther
	All    = Add | Delete | Update
)

// ClusterEvent is a change in the cluster that may make pods fit.
type ClusterEvent struct {
	Resource EventResource
	Action   ActionType
	// Label names the event in metrics and logs.
	Label string
}

// Matches reports whether a registered interest e covers the event got.
func (e ClusterEvent) Matches(got ClusterEvent) bool {
	return (e.Resource == WildCard || e.Resource == got.Resource) && e.Action&got.Action != 0
}
