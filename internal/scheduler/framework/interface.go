// Package framework holds the scheduler's plugin interfaces, the data
// they work on (NodeInfo, PodInfo, CycleState, Status) and the runtime
// that calls them at each extension point.
package framework

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
)

// Score bounds: every plugin's normalized score lies in [MinNodeScore, MaxNodeScore].
const (
	MinNodeScore int64 = 0
	MaxNodeScore int64 = 100
)

// Plugin is the base of every plugin.
type Plugin interface {
	Name() string
}

// PreFilterPlugin runs once per pod before the filters; returning Skip
// skips the plugin's Filter for this pod.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *corev1.Pod) *Status
	// PreFilterExtensions returns nil when the plugin's state does not
	// depend on the pods of a node.
	PreFilterExtensions() PreFilterExtensions
}

// PreFilterExtensions update a plugin's PreFilter state when preemption
// tries a node with pods added or removed.
type PreFilterExtensions interface {
	AddPod(ctx context.Context, state *CycleState, podToSchedule *corev1.Pod, podToAdd *PodInfo, nodeInfo *NodeInfo) *Status
	RemovePod(ctx context.Context, state *CycleState, podToSchedule *corev1.Pod, podToRemove *PodInfo, nodeInfo *NodeInfo) *Status
}

// FilterPlugin decides whether the pod fits one node. It is called for
// many nodes at once and must only read state.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeInfo *NodeInfo) *Status
}

// PostFilterResult is what a PostFilter plugin proposes.
type PostFilterResult struct {
	// NominatedNodeName is where the pod should go once victims are gone;
	// empty clears a previous nomination.
	NominatedNodeName string
}

// NodeToStatus holds the filter verdict of each node that rejected a pod.
type NodeToStatus map[string]*Status

// PostFilterPlugin runs when no node fits (preemption).
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *corev1.Pod, filtered NodeToStatus) (*PostFilterResult, *Status)
}

// PreScorePlugin runs once before scoring, with the feasible nodes.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks a feasible node; called for many nodes at once.
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeInfo *NodeInfo) (int64, *Status)
	// ScoreExtensions returns nil when scores need no normalizing.
	ScoreExtensions() ScoreExtensions
}

// NodeScore is one node's score.
type NodeScore struct {
	Name  string
	Score int64
}

// ScoreExtensions normalize a plugin's scores into [0, MaxNodeScore].
type ScoreExtensions interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *corev1.Pod, scores []NodeScore) *Status
}

// ReservePlugin keeps plugin state in step with the assumed pod; Unreserve
// undoes Reserve when a later step fails.
type ReservePlugin interface {
	Plugin
	Reserve(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status
	Unreserve(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string)
}

// BindPlugin binds the pod; returning Skip leaves it to the next one.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status
}

// EnqueueExtensions name the cluster events after which a pod this plugin
// rejected may fit, so the queue retries it only then.
type EnqueueExtensions interface {
	EventsToRegister() []ClusterEvent
}

// NodeInfoLister reads the cycle's snapshot of the cluster.
type NodeInfoLister interface {
	// List returns every node, in a stable order.
	List() []*NodeInfo
	// HavePodsWithAffinityList returns the nodes with pods that have
	// (anti-)affinity terms.
	HavePodsWithAffinityList() []*NodeInfo
	// HavePodsWithRequiredAntiAffinityList returns the nodes with pods
	// that have required anti-affinity terms.
	HavePodsWithRequiredAntiAffinityList() []*NodeInfo
	// Get returns a node by name, or nil.
	Get(name string) *NodeInfo
}

// PodNominator tracks pods nominated to nodes by preemption.
type PodNominator interface {
	NominatedPodsForNode(nodeName string) []*PodInfo
	// HasNominatedPods reports whether any pod is nominated anywhere, so
	// that the per-node work can be skipped without touching the nodes.
	HasNominatedPods() bool
}

// Handle is what plugins get from the framework.
type Handle interface {
	SnapshotSharedLister() NodeInfoLister
	ClientSet() kubernetes.Interface
	SharedInformerFactory() informers.SharedInformerFactory
	EventRecorder() record.EventRecorder
	Parallelizer() Parallelizer
	PodNominator
	// RunFilterPluginsWithNominatedPods runs the filters on nodeInfo as if
	// the pods nominated there with at least pod's priority were running.
	RunFilterPluginsWithNominatedPods(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeInfo *NodeInfo) *Status
	// RunPreFilterExtensionAddPod and RunPreFilterExtensionRemovePod let
	// preemption update the PreFilter state of every plugin.
	RunPreFilterExtensionAddPod(ctx context.Context, state *CycleState, pod *corev1.Pod, toAdd *PodInfo, nodeInfo *NodeInfo) *Status
	RunPreFilterExtensionRemovePod(ctx context.Context, state *CycleState, pod *corev1.Pod, toRemove *PodInfo, nodeInfo *NodeInfo) *Status
}

// ScoringStrategy selects how NodeResourcesFit scores nodes.
type ScoringStrategy string

// Scoring strategies.
const (
	// LeastAllocated prefers the emptiest nodes (spreads load); default.
	LeastAllocated ScoringStrategy = "LeastAllocated"
	// MostAllocated prefers the fullest nodes (bin packing).
	MostAllocated ScoringStrategy = "MostAllocated"
)

// Args configure plugins; each plugin reads the fields it knows.
type Args struct {
	ScoringStrategy ScoringStrategy
}

// Factory builds a plugin.
type Factory func(h Handle, args Args) (Plugin, error)

// Registry maps plugin names to factories. It is built explicitly by the
// caller; nothing registers itself.
type Registry map[string]Factory
