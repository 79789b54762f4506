package framework

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
)

// PluginConfig enables one plugin; Weight matters for Score plugins only
// (0 means 1).
type PluginConfig struct {
	Name   string
	Weight int64
}

// Options are the framework's dependencies.
type Options struct {
	Registry    Registry
	Plugins     []PluginConfig
	Args        Args
	Client      kubernetes.Interface
	Informers   informers.SharedInformerFactory
	Recorder    record.EventRecorder
	Snapshot    NodeInfoLister
	Nominator   PodNominator
	Parallelism int
}

type weightedScore struct {
	ScorePlugin
	weight int64
}

// Framework runs the enabled plugins of one profile at each extension
// point, in the configured order. It is the plugins' Handle.
type Framework struct {
	opts       Options
	par        Parallelizer
	plugins    []Plugin
	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []weightedScore
	reserve    []ReservePlugin
	bind       []BindPlugin
	// scoreBuf holds the per-plugin scores of RunScorePlugins, which the
	// scheduling loop calls one pod at a time.
	scoreBuf []NodeScore
}

// New builds every plugin in opts.Plugins from opts.Registry.
func New(opts Options) (*Framework, error) {
	f := &Framework{opts: opts, par: NewParallelizer(opts.Parallelism)}
	for _, pc := range opts.Plugins {
		factory, ok := opts.Registry[pc.Name]
		if !ok {
			return nil, fmt.Errorf("plugin %q is not in the registry", pc.Name)
		}
		p, err := factory(f, opts.Args)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", pc.Name, err)
		}
		f.add(p, max(pc.Weight, 1))
	}
	return f, nil
}

func (f *Framework) add(p Plugin, weight int64) {
	f.plugins = append(f.plugins, p)
	if x, ok := p.(PreFilterPlugin); ok {
		f.preFilter = append(f.preFilter, x)
	}
	if x, ok := p.(FilterPlugin); ok {
		f.filter = append(f.filter, x)
	}
	if x, ok := p.(PostFilterPlugin); ok {
		f.postFilter = append(f.postFilter, x)
	}
	if x, ok := p.(PreScorePlugin); ok {
		f.preScore = append(f.preScore, x)
	}
	if x, ok := p.(ScorePlugin); ok {
		f.score = append(f.score, weightedScore{x, weight})
	}
	if x, ok := p.(ReservePlugin); ok {
		f.reserve = append(f.reserve, x)
	}
	if x, ok := p.(BindPlugin); ok {
		f.bind = append(f.bind, x)
	}
}

// SnapshotSharedLister implements Handle.
func (f *Framework) SnapshotSharedLister() NodeInfoLister { return f.opts.Snapshot }

// ClientSet implements Handle.
func (f *Framework) ClientSet() kubernetes.Interface { return f.opts.Client }

// SharedInformerFactory implements Handle.
func (f *Framework) SharedInformerFactory() informers.SharedInformerFactory { return f.opts.Informers }

// EventRecorder implements Handle.
func (f *Framework) EventRecorder() record.EventRecorder { return f.opts.Recorder }

// Parallelizer implements Handle.
func (f *Framework) Parallelizer() Parallelizer { return f.par }

// NominatedPodsForNode implements Handle.
func (f *Framework) NominatedPodsForNode(node string) []*PodInfo {
	if f.opts.Nominator == nil {
		return nil
	}
	return f.opts.Nominator.NominatedPodsForNode(node)
}

// HasNominatedPods implements Handle.
func (f *Framework) HasNominatedPods() bool {
	return f.opts.Nominator != nil && f.opts.Nominator.HasNominatedPods()
}

// EventsToRegister returns each plugin's cluster events of interest.
// A plugin without EnqueueExtensions is interested in every event.
func (f *Framework) EventsToRegister() map[string][]ClusterEvent {
	out := map[string][]ClusterEvent{}
	for _, p := range f.plugins {
		if e, ok := p.(EnqueueExtensions); ok {
			out[p.Name()] = e.EventsToRegister()
		} else {
			out[p.Name()] = []ClusterEvent{{Resource: WildCard, Action: All}}
		}
	}
	return out
}

// HasFilterPlugins reports whether any Filter plugin is enabled.
func (f *Framework) HasFilterPlugins() bool { return len(f.filter) > 0 }

// HasScorePlugins reports whether any Score plugin is enabled.
func (f *Framework) HasScorePlugins() bool { return len(f.score) > 0 }

// RunPreFilterPlugins runs every PreFilter plugin; the first rejection
// or error ends the run.
func (f *Framework) RunPreFilterPlugins(ctx context.Context, state *CycleState, pod *corev1.Pod) *Status {
	for _, p := range f.preFilter {
		s := p.PreFilter(ctx, state, pod)
		switch {
		case s.IsSkip():
			state.SkipFilterPlugins[p.Name()] = true
		case s.IsRejected():
			return s.WithPlugin(p.Name())
		case !s.IsSuccess():
			return AsStatus(fmt.Errorf("running PreFilter plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
		}
	}
	state.filters = f.filtersToRun(state)
	return nil
}

// filtersToRun returns the Filter plugins whose PreFilter did not skip.
func (f *Framework) filtersToRun(state *CycleState) []FilterPlugin {
	out := make([]FilterPlugin, 0, len(f.filter))
	for _, p := range f.filter {
		if !state.SkipFilterPlugins[p.Name()] {
			out = append(out, p)
		}
	}
	return out
}

// RunPreFilterExtensionAddPod implements Handle.
func (f *Framework) RunPreFilterExtensionAddPod(ctx context.Context, state *CycleState, pod *corev1.Pod, toAdd *PodInfo, nodeInfo *NodeInfo) *Status {
	for _, p := range f.preFilter {
		ext := p.PreFilterExtensions()
		if ext == nil || state.SkipFilterPlugins[p.Name()] {
			continue
		}
		if s := ext.AddPod(ctx, state, pod, toAdd, nodeInfo); !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running AddPod on PreFilter plugin %q: %w", p.Name(), s.AsError()))
		}
	}
	return nil
}

// RunPreFilterExtensionRemovePod implements Handle.
func (f *Framework) RunPreFilterExtensionRemovePod(ctx context.Context, state *CycleState, pod *corev1.Pod, toRemove *PodInfo, nodeInfo *NodeInfo) *Status {
	for _, p := range f.preFilter {
		ext := p.PreFilterExtensions()
		if ext == nil || state.SkipFilterPlugins[p.Name()] {
			continue
		}
		if s := ext.RemovePod(ctx, state, pod, toRemove, nodeInfo); !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running RemovePod on PreFilter plugin %q: %w", p.Name(), s.AsError()))
		}
	}
	return nil
}

// RunFilterPlugins runs the filters on one node; the first plugin that
// rejects the node decides its status.
func (f *Framework) RunFilterPlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeInfo *NodeInfo) *Status {
	filters := state.filters
	if filters == nil { // PreFilter did not run
		filters = f.filtersToRun(state)
	}
	for _, p := range filters {
		s := p.Filter(ctx, state, pod, nodeInfo)
		if s.IsSuccess() {
			continue
		}
		if !s.IsRejected() {
			s = AsStatus(fmt.Errorf("running %q filter plugin: %w", p.Name(), s.AsError()))
		}
		return s.WithPlugin(p.Name())
	}
	return nil
}

// RunFilterPluginsWithNominatedPods implements Handle. As kube-scheduler,
// it filters twice when pods are nominated to the node: once with them
// (they will take the resources) and once without (affinity to them may
// not hold yet).
func (f *Framework) RunFilterPluginsWithNominatedPods(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeInfo *NodeInfo) *Status {
	withState, withInfo, added, err := f.addNominatedPods(ctx, state, pod, nodeInfo)
	if err != nil {
		return AsStatus(err)
	}
	s := f.RunFilterPlugins(ctx, withState, pod, withInfo)
	if !added || !s.IsSuccess() {
		return s
	}
	return f.RunFilterPlugins(ctx, state, pod, nodeInfo)
}

func (f *Framework) addNominatedPods(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeInfo *NodeInfo) (*CycleState, *NodeInfo, bool, error) {
	// Asking the nominator first spares reading the NodeInfo, a cache miss
	// per node on large clusters, when nothing is nominated.
	if !f.HasNominatedPods() || nodeInfo.Node() == nil {
		return state, nodeInfo, false, nil
	}
	nominated := f.NominatedPodsForNode(nodeInfo.NodeName())
	if len(nominated) == 0 {
		return state, nodeInfo, false, nil
	}
	outInfo, outState, added := nodeInfo.Clone(), state.Clone(), false
	for _, pi := range nominated {
		if PodPriority(pi.Pod) < PodPriority(pod) || pi.Pod.UID == pod.UID {
			continue
		}
		outInfo.AddPod(pi)
		added = true
		if s := f.RunPreFilterExtensionAddPod(ctx, outState, pod, pi, outInfo); !s.IsSuccess() {
			return nil, nil, false, s.AsError()
		}
	}
	return outState, outInfo, added, nil
}

// RunPostFilterPlugins runs PostFilter plugins until one succeeds or
// errs; it returns the last result and the rejections joined.
func (f *Framework) RunPostFilterPlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, filtered NodeToStatus) (*PostFilterResult, *Status) {
	var result *PostFilterResult
	var reasons []string
	for _, p := range f.postFilter {
		r, s := p.PostFilter(ctx, state, pod, filtered)
		if s.IsSuccess() {
			return r, s
		}
		if !s.IsRejected() {
			return nil, s.WithPlugin(p.Name())
		}
		if r != nil {
			result = r
		}
		reasons = append(reasons, s.Reasons()...)
	}
	return result, NewStatus(Unschedulable, reasons...)
}

// RunPreScorePlugins runs PreScore with the feasible nodes.
func (f *Framework) RunPreScorePlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) *Status {
	for _, p := range f.preScore {
		s := p.PreScore(ctx, state, pod, nodes)
		if s.IsSkip() {
			state.SkipScorePlugins[p.Name()] = true
			continue
		}
		if !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running PreScore plugin %q: %w", p.Name(), s.AsError()))
		}
	}
	return nil
}

// RunScorePlugins scores every node with every plugin in parallel,
// normalizes, weighs and sums the scores. The result is in nodes' order.
// Calls must not overlap.
func (f *Framework) RunScorePlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) ([]NodeScore, *Status) {
	plugins := slices.DeleteFunc(slices.Clone(f.score), func(p weightedScore) bool { return state.SkipScorePlugins[p.Name()] })
	perPlugin := make([][]NodeScore, len(plugins))
	// Every entry is written below before it is read, so the buffer is
	// reused from pod to pod rather than allocated and cleared each time.
	if need := len(plugins) * len(nodes); cap(f.scoreBuf) < need {
		f.scoreBuf = make([]NodeScore, need)
	}
	backing := f.scoreBuf[:len(plugins)*len(nodes)]
	for i := range plugins {
		perPlugin[i] = backing[i*len(nodes) : (i+1)*len(nodes) : (i+1)*len(nodes)]
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan *Status, 1)
	f.par.Until(ctx, len(nodes), func(n int) {
		name := nodes[n].NodeName()
		for i, p := range plugins {
			s, st := p.Score(ctx, state, pod, nodes[n])
			if !st.IsSuccess() {
				select {
				case errc <- AsStatus(fmt.Errorf("plugin %q scoring node %s: %w", p.Name(), name, st.AsError())):
				default:
				}
				cancel()
				return
			}
			perPlugin[i][n] = NodeScore{Name: name, Score: s}
		}
	})
	select {
	case s := <-errc:
		return nil, s
	default:
	}
	total := make([]NodeScore, len(nodes))
	for n := range nodes {
		total[n].Name = nodes[n].NodeName()
	}
	for i, p := range plugins {
		if ext := p.ScoreExtensions(); ext != nil {
			if s := ext.NormalizeScore(ctx, state, pod, perPlugin[i]); !s.IsSuccess() {
				return nil, AsStatus(fmt.Errorf("plugin %q normalizing scores: %w", p.Name(), s.AsError()))
			}
		}
		for n, sc := range perPlugin[i] {
			if sc.Score < MinNodeScore || sc.Score > MaxNodeScore {
				return nil, AsStatus(fmt.Errorf("plugin %q returned score %d for node %s outside [%d, %d]", p.Name(), sc.Score, sc.Name, MinNodeScore, MaxNodeScore))
			}
			total[n].Score += sc.Score * p.weight
		}
	}
	return total, nil
}

// RunReservePlugins runs Reserve; on failure the caller runs Unreserve.
func (f *Framework) RunReservePlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, node string) *Status {
	for _, p := range f.reserve {
		if s := p.Reserve(ctx, state, pod, node); !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running Reserve plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
		}
	}
	return nil
}

// RunUnreservePlugins runs Unreserve in reverse order.
func (f *Framework) RunUnreservePlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, node string) {
	for i := len(f.reserve) - 1; i >= 0; i-- {
		f.reserve[i].Unreserve(ctx, state, pod, node)
	}
}

// RunBindPlugins runs Bind plugins until one does not Skip.
func (f *Framework) RunBindPlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, node string) *Status {
	for _, p := range f.bind {
		s := p.Bind(ctx, state, pod, node)
		if s.IsSkip() {
			continue
		}
		if !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running Bind plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
		}
		return nil
	}
	return AsStatus(fmt.Errorf("no bind plugin bound pod %s/%s", pod.Namespace, pod.Name))
}
