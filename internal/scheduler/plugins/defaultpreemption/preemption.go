// Package defaultpreemption is the PostFilter plugin that makes room for
// a pod that fits nowhere by deleting lower-priority pods from one node,
// as kube-scheduler's DefaultPreemption: it looks for nodes where removing
// lower-priority pods lets the pod fit, keeps back (reprieves) every
// victim it can, prefers the node with the fewest PodDisruptionBudget
// violations, then the lowest highest-victim priority, the smallest sum
// of priorities, the fewest victims and the most recently started
// victims; it then deletes the victims and nominates the node.
package defaultpreemption

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	policylisters "k8s.io/client-go/listers/policy/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Name of the plugin.
const Name = "DefaultPreemption"

// Messages, as kube-scheduler's.
const (
	ErrReasonNotHelpful       = "Preemption is not helpful for scheduling"
	ErrReasonNoVictims        = "No preemption victims found for incoming pod"
	msgPolicyNever            = "not eligible due to preemptionPolicy=Never."
	msgTerminatingOnNominated = "not eligible due to a terminating pod on the nominated node."
	ReasonPreempted           = "Preempted"
	minCandidateNodesPercent  = 10
	minCandidateNodesAbsolute = 100
)

// Plugin is the DefaultPreemption plugin.
type Plugin struct {
	h    framework.Handle
	pdbs policylisters.PodDisruptionBudgetLister
}

// New is the plugin's factory.
func New(h framework.Handle, _ framework.Args) (framework.Plugin, error) {
	return &Plugin{h: h, pdbs: h.SharedInformerFactory().Policy().V1().PodDisruptionBudgets().Lister()}, nil
}

// Name implements framework.Plugin.
func (*Plugin) Name() string { return Name }

// candidate is a node where preemption would let the pod fit.
type candidate struct {
	node          string
	victims       []*framework.PodInfo
	pdbViolations int
}

// PostFilter implements framework.PostFilterPlugin.
func (p *Plugin) PostFilter(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, m framework.NodeToStatus) (*framework.PostFilterResult, *framework.Status) {
	if msg, ok := p.eligible(pod, m); !ok {
		return nil, framework.NewStatus(framework.Unschedulable, "preemption: "+msg)
	}
	cands, statuses, err := p.findCandidates(ctx, state, pod, m)
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	if len(cands) == 0 {
		// The scheduler adds the final period.
		msg := fmt.Sprintf("0/%d nodes are available: %s", len(statuses), framework.ReasonHistogram(statuses))
		return &framework.PostFilterResult{}, framework.NewStatus(framework.Unschedulable, "preemption: "+msg)
	}
	best := pickOne(cands)
	if err := p.prepare(ctx, best, pod); err != nil {
		return nil, framework.AsStatus(err)
	}
	return &framework.PostFilterResult{NominatedNodeName: best.node}, nil
}

// eligible reports whether pod may preempt: not with preemptionPolicy
// Never, and not while a victim of its earlier preemption is still
// terminating on its nominated node.
func (p *Plugin) eligible(pod *corev1.Pod, m framework.NodeToStatus) (string, bool) {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == corev1.PreemptNever {
		return msgPolicyNever, false
	}
	nominated := pod.Status.NominatedNodeName
	if nominated == "" || m[nominated].Code() == framework.UnschedulableAndUnresolvable {
		return "", true
	}
	if ni := p.h.SnapshotSharedLister().Get(nominated); ni != nil {
		prio := framework.PodPriority(pod)
		for _, pi := range ni.Pods {
			if pi.Pod.DeletionTimestamp != nil && framework.PodPriority(pi.Pod) < prio {
				return msgTerminatingOnNominated, false
			}
		}
	}
	return "", true
}

// findCandidates dry-runs preemption on the nodes where it may help, in
// parallel, until enough candidates are found.
func (p *Plugin) findCandidates(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, m framework.NodeToStatus) ([]candidate, framework.NodeToStatus, error) {
	statuses := framework.NodeToStatus{}
	var potential []*framework.NodeInfo
	for _, ni := range p.h.SnapshotSharedLister().List() {
		if m[ni.NodeName()].Code() == framework.UnschedulableAndUnresolvable {
			statuses[ni.NodeName()] = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNotHelpful)
			continue
		}
		potential = append(potential, ni)
	}
	if len(potential) == 0 {
		return nil, statuses, nil
	}
	pdbs, err := p.pdbs.List(labels.Everything())
	if err != nil {
		return nil, nil, err
	}
	want := min(max(len(potential)*minCandidateNodesPercent/100, minCandidateNodesAbsolute), len(potential))
	var mu sync.Mutex
	var cands []candidate
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.h.Parallelizer().Until(ctx, len(potential), func(i int) {
		ni := potential[i].Clone()
		victims, violations, st := p.selectVictims(ctx, state.Clone(), pod, ni, pdbs)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case st.IsSuccess():
			cands = append(cands, candidate{node: ni.NodeName(), victims: victims, pdbViolations: violations})
			if len(cands) >= want {
				cancel()
			}
		case st.Code() == framework.Error:
			if firstErr == nil {
				firstErr = st.AsError()
			}
			cancel()
		default:
			statuses[ni.NodeName()] = st
		}
	})
	if firstErr != nil && len(cands) == 0 {
		return nil, nil, firstErr
	}
	return cands, statuses, nil
}

// selectVictims removes every lower-priority pod from ni; if pod then
// fits, it adds back as many as it can, PDB-protected ones first, most
// important first. It returns the pods that must go.
func (p *Plugin) selectVictims(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo, pdbs []*policyv1.PodDisruptionBudget) ([]*framework.PodInfo, int, *framework.Status) {
	prio := framework.PodPriority(pod)
	var potential []*framework.PodInfo
	for _, pi := range append([]*framework.PodInfo(nil), ni.Pods...) {
		if framework.PodPriority(pi.Pod) >= prio {
			continue
		}
		potential = append(potential, pi)
		if err := ni.RemovePod(pi.Pod); err != nil {
			return nil, 0, framework.AsStatus(err)
		}
		if st := p.h.RunPreFilterExtensionRemovePod(ctx, state, pod, pi, ni); !st.IsSuccess() {
			return nil, 0, st
		}
	}
	if len(potential) == 0 {
		return nil, 0, framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNoVictims)
	}
	if st := p.h.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni); !st.IsSuccess() {
		return nil, 0, st
	}
	sort.SliceStable(potential, func(i, j int) bool { return moreImportant(potential[i].Pod, potential[j].Pod) })
	violating, nonViolating := splitByPDB(potential, pdbs)
	var victims []*framework.PodInfo
	reprieve := func(pi *framework.PodInfo) (bool, *framework.Status) {
		ni.AddPod(pi)
		if st := p.h.RunPreFilterExtensionAddPod(ctx, state, pod, pi, ni); !st.IsSuccess() {
			return false, st
		}
		if p.h.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni).IsSuccess() {
			return true, nil
		}
		if err := ni.RemovePod(pi.Pod); err != nil {
			return false, framework.AsStatus(err)
		}
		if st := p.h.RunPreFilterExtensionRemovePod(ctx, state, pod, pi, ni); !st.IsSuccess() {
			return false, st
		}
		victims = append(victims, pi)
		return false, nil
	}
	violations := 0
	for _, pi := range violating {
		fits, st := reprieve(pi)
		if st != nil {
			return nil, 0, st
		}
		if !fits {
			violations++
		}
	}
	for _, pi := range nonViolating {
		if _, st := reprieve(pi); st != nil {
			return nil, 0, st
		}
	}
	sort.SliceStable(victims, func(i, j int) bool { return moreImportant(victims[i].Pod, victims[j].Pod) })
	return victims, violations, nil
}

// moreImportant orders by priority, then by earlier start.
func moreImportant(a, b *corev1.Pod) bool {
	pa, pb := framework.PodPriority(a), framework.PodPriority(b)
	if pa != pb {
		return pa > pb
	}
	return startTime(a).Before(startTime(b))
}

func startTime(p *corev1.Pod) time.Time {
	if p.Status.StartTime != nil {
		return p.Status.StartTime.Time
	}
	return p.CreationTimestamp.Time
}

// splitByPDB splits pods into those whose removal would exceed a PDB's
// allowed disruptions (counting the pods before them) and the others.
func splitByPDB(pods []*framework.PodInfo, pdbs []*policyv1.PodDisruptionBudget) (violating, nonViolating []*framework.PodInfo) {
	allowed := make([]int32, len(pdbs))
	for i, pdb := range pdbs {
		allowed[i] = pdb.Status.DisruptionsAllowed
	}
	for _, pi := range pods {
		violated := false
		for i, pdb := range pdbs {
			if pdb.Namespace != pi.Pod.Namespace || len(pi.Pod.Labels) == 0 {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(pi.Pod.Labels)) {
				continue
			}
			if _, disrupted := pdb.Status.DisruptedPods[pi.Pod.Name]; disrupted {
				continue
			}
			allowed[i]--
			if allowed[i] < 0 {
				violated = true
			}
		}
		if violated {
			violating = append(violating, pi)
		} else {
			nonViolating = append(nonViolating, pi)
		}
	}
	return violating, nonViolating
}

// pickOne chooses among candidates by, in turn: fewest PDB violations,
// lowest highest-victim priority, smallest priority sum, fewest victims,
// latest start of the highest-priority victims; then the first.
func pickOne(cands []candidate) candidate {
	sort.SliceStable(cands, func(i, j int) bool { return better(cands[i], cands[j]) })
	return cands[0]
}

func better(a, b candidate) bool {
	if a.pdbViolations != b.pdbViolations {
		return a.pdbViolations < b.pdbViolations
	}
	ha, hb := highest(a), highest(b)
	if ha != hb {
		return ha < hb
	}
	if sa, sb := prioritySum(a), prioritySum(b); sa != sb {
		return sa < sb
	}
	if len(a.victims) != len(b.victims) {
		return len(a.victims) < len(b.victims)
	}
	return earliestStart(a, ha).After(earliestStart(b, hb))
}

func highest(c candidate) int32 {
	h := int32(math.MinInt32)
	for _, v := range c.victims {
		h = max(h, framework.PodPriority(v.Pod))
	}
	return h
}

// prioritySum shifts priorities to be positive so that more victims
// always weigh more, as kube-scheduler.
func prioritySum(c candidate) int64 {
	var s int64
	for _, v := range c.victims {
		s += int64(framework.PodPriority(v.Pod)) + math.MaxInt32 + 1
	}
	return s
}

func earliestStart(c candidate, prio int32) time.Time {
	var t time.Time
	for _, v := range c.victims {
		if framework.PodPriority(v.Pod) == prio && (t.IsZero() || startTime(v.Pod).Before(t)) {
			t = startTime(v.Pod)
		}
	}
	return t
}
