package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/queue"
)

// Event reasons, as kube-scheduler's.
const (
	ReasonScheduled        = "Scheduled"
	ReasonFailedScheduling = "FailedScheduling"
	// ReasonSchedulerError is the PodScheduled condition reason for
	// internal errors; Unschedulable (corev1.PodReasonUnschedulable) is
	// used when no node fits.
	ReasonSchedulerError = "SchedulerError"
)

// scheduleOne takes one pod from the queue and schedules it. Binding goes
// on in the background.
func (s *Scheduler) scheduleOne(ctx context.Context) error {
	qp, err := s.queue.Pop(ctx)
	if err != nil {
		return err
	}
	cycle := s.queue.SchedulingCycle()
	pod := qp.Pod
	if s.skip(pod) {
		s.queue.Done(pod)
		return nil
	}
	start := s.cfg.Clock.Now()
	state := framework.NewCycleState()
	s.cache.UpdateSnapshot(s.snapshot)
	host, err := s.schedulePod(ctx, state, pod)
	s.metrics.algorithm.Observe(s.cfg.Clock.Since(start).Seconds())
	if err != nil {
		s.failed(ctx, state, qp, cycle, err, start)
		return nil
	}
	assumed := pod.DeepCopy()
	assumed.Spec.NodeName = host
	if err := s.cache.AssumePod(assumed); err != nil {
		s.failed(ctx, state, qp, cycle, err, start)
		return nil
	}
	s.queue.DeleteNominatedPodIfExists(pod)
	if st := s.fwk.RunReservePlugins(ctx, state, assumed, host); !st.IsSuccess() {
		s.fwk.RunUnreservePlugins(ctx, state, assumed, host)
		s.forget(assumed)
		s.failed(ctx, state, qp, cycle, st.AsError(), start)
		return nil
	}
	s.async.Go(func() { s.bind(ctx, state, qp, assumed, host, cycle, start) })
	return nil
}

// skip reports whether pod needs no scheduling: being deleted, or
// assumed already (an update re-queued it while its binding is in flight).
func (s *Scheduler) skip(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp != nil || s.cache.IsAssumedPod(pod)
}

func (s *Scheduler) forget(assumed *corev1.Pod) {
	if err := s.cache.ForgetPod(assumed); err != nil {
		s.log.Error("forget assumed pod", "pod", queue.Key(assumed), "err", err)
	}
}

// bind runs the binding cycle of an assumed pod.
func (s *Scheduler) bind(ctx context.Context, state *framework.CycleState, qp *queue.QueuedPodInfo, assumed *corev1.Pod, host string, cycle int64, start time.Time) {
	st := s.fwk.RunBindPlugins(ctx, state, assumed, host)
	if !st.IsSuccess() {
		s.fwk.RunUnreservePlugins(ctx, state, assumed, host)
		s.forget(assumed)
		if ctx.Err() != nil {
			s.queue.Done(assumed)
			return
		}
		// The resources the assumed pod held are free again.
		s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: framework.AssignedPod, Action: framework.Delete, Label: "AssignedPodDelete"}, nil)
		s.failed(ctx, state, qp, cycle, fmt.Errorf("binding rejected: %w", st.AsError()), start)
		return
	}
	s.queue.Done(assumed)
	s.metrics.attempts.WithLabelValues(resultScheduled, s.cfg.SchedulerName).Inc()
	s.metrics.attemptDuration.WithLabelValues(resultScheduled, s.cfg.SchedulerName).Observe(s.cfg.Clock.Since(start).Seconds())
	s.metrics.sliDuration.WithLabelValues(attemptsLabel(qp.Attempts)).Observe(s.cfg.Clock.Since(qp.InitialAttemptTimestamp).Seconds())
	s.recorder.Eventf(assumed, corev1.EventTypeNormal, ReasonScheduled, "Successfully assigned %s/%s to %s", assumed.Namespace, assumed.Name, host)
}

// attemptsLabel buckets attempts as kube-scheduler: 1..15, then "15+".
func attemptsLabel(n int) string {
	if n >= 15 {
		return "15+"
	}
	return fmt.Sprint(n)
}

// schedulePod returns the best node for pod, or a *FitError.
func (s *Scheduler) schedulePod(ctx context.Context, state *framework.CycleState, pod *corev1.Pod) (string, error) {
	if len(s.snapshot.List()) == 0 {
		return "", ErrNoNodesAvailable
	}
	feasible, diag, err := s.findNodesThatFitPod(ctx, state, pod)
	if err != nil {
		return "", err
	}
	if len(feasible) == 0 {
		return "", &FitError{Pod: pod, NumAllNodes: len(s.snapshot.List()), Diagnosis: diag}
	}
	if len(feasible) == 1 {
		return feasible[0].NodeName(), nil
	}
	scores, err := s.prioritizeNodes(ctx, state, pod, feasible)
	if err != nil {
		return "", err
	}
	return selectHost(scores), nil
}

// findNodesThatFitPod runs PreFilter, then the filters on the nominated
// node alone if the pod has one that still fits, else on enough nodes.
func (s *Scheduler) findNodesThatFitPod(ctx context.Context, state *framework.CycleState, pod *corev1.Pod) ([]*framework.NodeInfo, Diagnosis, error) {
	diag := Diagnosis{NodeToStatus: framework.NodeToStatus{}, UnschedulablePlugins: map[string]bool{}}
	all := s.snapshot.List()
	if st := s.fwk.RunPreFilterPlugins(ctx, state, pod); !st.IsSuccess() {
		if !st.IsRejected() {
			return nil, diag, st.AsError()
		}
		for _, ni := range all {
			diag.NodeToStatus[ni.NodeName()] = st
		}
		diag.PreFilterMsg = st.Message()
		diag.UnschedulablePlugins[st.Plugin()] = true
		return nil, diag, nil
	}
	if name := pod.Status.NominatedNodeName; name != "" {
		if ni := s.snapshot.Get(name); ni != nil && s.fwk.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni).IsSuccess() {
			return []*framework.NodeInfo{ni}, diag, nil
		}
	}
	feasible, err := s.findNodesThatPassFilters(ctx, state, pod, &diag, all)
	return feasible, diag, err
}

// findNodesThatPassFilters filters nodes in parallel from a rotating start
// and stops once numFeasibleNodesToFind nodes fit.
func (s *Scheduler) findNodesThatPassFilters(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, diag *Diagnosis, nodes []*framework.NodeInfo) ([]*framework.NodeInfo, error) {
	n := len(nodes)
	want := numFeasibleNodesToFind(s.cfg.PercentageOfNodesToScore, n)
	start := s.nextStartNodeIndex
	if !s.fwk.HasFilterPlugins() {
		out := make([]*framework.NodeInfo, want)
		for i := range out {
			out[i] = nodes[(start+i)%n]
		}
		s.nextStartNodeIndex = (start + want) % n
		return out, nil
	}
	feasible := make([]*framework.NodeInfo, want)
	// The rejections are kept in a buffer reused from pod to pod, which
	// the loop below leaves all nil again.
	if len(s.filterStatuses) < n {
		s.filterStatuses = make([]*framework.Status, n)
	}
	statuses := s.filterStatuses[:n]
	var found atomic.Int32
	var firstErr atomic.Pointer[framework.Status]
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.fwk.Parallelizer().Until(ctx, n, func(i int) {
		if int(found.Load()) >= want {
			return // the others' chunks still running when enough fit
		}
		ni := nodes[(start+i)%n]
		st := s.fwk.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni)
		switch {
		case st.IsSuccess():
			k := int(found.Add(1))
			if k > want {
				found.Add(-1)
				cancel()
				return
			}
			feasible[k-1] = ni
		case st.IsRejected():
			statuses[i] = st
		default:
			firstErr.CompareAndSwap(nil, st)
			cancel()
		}
	})
	if st := firstErr.Load(); st != nil {
		clear(statuses)
		return nil, st.AsError()
	}
	processed := int(found.Load())
	// The diagnosis serves only a pod that fits nowhere: recording a
	// thousand rejections for a pod that fits elsewhere is wasted work.
	diagnose := processed == 0
	for i, st := range statuses {
		if st != nil {
			processed++
			if diagnose {
				diag.NodeToStatus[nodes[(start+i)%n].NodeName()] = st
				diag.UnschedulablePlugins[st.Plugin()] = true
			}
			statuses[i] = nil
		}
	}
	s.nextStartNodeIndex = (start + processed) % n
	return feasible[:found.Load()], nil
}

// prioritizeNodes scores the feasible nodes.
func (s *Scheduler) prioritizeNodes(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) ([]framework.NodeScore, error) {
	if !s.fwk.HasScorePlugins() {
		out := make([]framework.NodeScore, len(nodes))
		for i, ni := range nodes {
			out[i] = framework.NodeScore{Name: ni.NodeName(), Score: 1}
		}
		return out, nil
	}
	if st := s.fwk.RunPreScorePlugins(ctx, state, pod, nodes); !st.IsSuccess() {
		return nil, st.AsError()
	}
	scores, st := s.fwk.RunScorePlugins(ctx, state, pod, nodes)
	if !st.IsSuccess() {
		return nil, st.AsError()
	}
	return scores, nil
}

// selectHost returns the node with the highest score, choosing uniformly
// among ties.
func selectHost(scores []framework.NodeScore) string {
	best, ties := scores[0], 1
	for _, sc := range scores[1:] {
		switch {
		case sc.Score > best.Score:
			best, ties = sc, 1
		case sc.Score == best.Score:
			ties++
			if rand.IntN(ties) == 0 {
				best = sc
			}
		}
	}
	return best.Name
}

// failed handles a failed attempt: preemption for a FitError, then the
// pod goes back to the queue, and its PodScheduled condition and a
// FailedScheduling event say why.
func (s *Scheduler) failed(ctx context.Context, state *framework.CycleState, qp *queue.QueuedPodInfo, cycle int64, err error, start time.Time) {
	pod := qp.Pod
	reason, result := ReasonSchedulerError, resultError
	var nomination *framework.PostFilterResult
	var fitErr *FitError
	if errors.As(err, &fitErr) {
		reason, result = corev1.PodReasonUnschedulable, resultUnschedulable
		qp.UnschedulablePlugins = fitErr.Diagnosis.UnschedulablePlugins
		nomination = s.postFilter(ctx, state, fitErr)
	} else {
		qp.UnschedulablePlugins = nil
		s.log.Error("schedule pod", "pod", queue.Key(pod), "err", err)
	}
	s.metrics.attempts.WithLabelValues(result, s.cfg.SchedulerName).Inc()
	s.metrics.attemptDuration.WithLabelValues(result, s.cfg.SchedulerName).Observe(s.cfg.Clock.Since(start).Seconds())
	cur, gerr := s.pods.Pods(pod.Namespace).Get(pod.Name)
	if gerr != nil || cur.UID != pod.UID || cur.Spec.NodeName != "" {
		s.queue.Done(pod) // deleted or bound meanwhile
		return
	}
	if nomination != nil {
		s.queue.AddNominatedPod(framework.NewPodInfo(pod), nomination.NominatedNodeName)
	}
	s.queue.AddUnschedulableIfNotPresent(qp, cycle)
	msg := err.Error()
	s.recorder.Event(pod, corev1.EventTypeWarning, ReasonFailedScheduling, msg)
	s.async.Go(func() {
		if err := s.updatePodStatus(ctx, cur, reason, msg, nomination); err != nil && ctx.Err() == nil {
			s.log.Warn("update pod status", "pod", queue.Key(pod), "err", err)
		}
	})
}

// postFilter runs preemption and records its message in fitErr; it
// returns the nomination to make, if any.
func (s *Scheduler) postFilter(ctx context.Context, state *framework.CycleState, fitErr *FitError) *framework.PostFilterResult {
	result, st := s.fwk.RunPostFilterPlugins(ctx, state, fitErr.Pod, fitErr.Diagnosis.NodeToStatus)
	if st.Code() == framework.Error {
		s.log.Error("preemption", "pod", queue.Key(fitErr.Pod), "err", st.AsError())
		return nil
	}
	fitErr.Diagnosis.PostFilterMsg = st.Message()
	return result
}
