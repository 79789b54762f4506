package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// Condition messages, as Kubernetes writes them.
const (
	msgBackoffLimit = "Job has reached the specified backoff limit"
	msgDeadline     = "Job was active longer than specified deadline"
	msgCompletions  = "Reached expected number of succeeded pods"
)

// round is one sync of one job: the job being rewritten and what the
// controller learned about its pods.
type round struct {
	key  string
	job  *batchv1.Job
	pods []*corev1.Pod
	now  time.Time
	// completed holds the succeeded indexes of an Indexed job.
	completed map[int]bool
	// unfinalize are finished pods whose tracking finalizer can go.
	unfinalize  []*corev1.Pod
	failJobMsg  string
	newFailures int
	newSuccess  bool
}

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	job, err := c.jobLister.Jobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.exp.Forget(key)
		c.forgetBackoff(key)
		return c.releaseOrphans(ctx, ns, name)
	}
	if err != nil {
		return err
	}
	pods, err := c.podsOf(job)
	if err != nil {
		return err
	}
	if finished(job) {
		c.forgetBackoff(key)
		_, err := c.removeFinalizers(ctx, tracked(pods))
		return err
	}
	r := &round{key: key, job: job.DeepCopy(), pods: pods, now: c.Clock.Now()}
	return c.syncRound(ctx, r)
}

// podsOf returns the pods job selects and controls.
func (c *Controller) podsOf(job *batchv1.Job) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("job %s/%s selector: %w", job.Namespace, job.Name, err)
	}
	all, err := c.podLister.Pods(job.Namespace).List(sel)
	if err != nil {
		return nil, err
	}
	return podutil.ControlledBy(all, job.UID), nil
}

// releaseOrphans removes the tracking finalizer from the pods of a
// deleted job.
func (c *Controller) releaseOrphans(ctx context.Context, ns, name string) error {
	sel := labels.SelectorFromSet(labels.Set{batchv1.JobNameLabel: name})
	all, err := c.podLister.Pods(ns).List(sel)
	if err != nil {
		return err
	}
	var orphans []*corev1.Pod
	for _, p := range tracked(all) {
		if ref := metav1.GetControllerOfNoCopy(p); ref != nil && ref.Kind == jobKind.Kind && ref.Name == name {
			orphans = append(orphans, p)
		}
	}
	_, err = c.removeFinalizers(ctx, orphans)
	return err
}

// syncRound counts finished pods, decides the job's fate, creates or
// deletes pods and writes the status.
func (c *Controller) syncRound(ctx context.Context, r *round) error {
	st := &r.job.Status
	old := st.DeepCopy()
	if st.StartTime == nil && !suspended(r.job) {
		st.StartTime = &metav1.Time{Time: r.now}
	}
	if st.UncountedTerminatedPods == nil {
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	if c.track(r) {
		if err := c.writeStatus(ctx, r.job); err != nil {
			return err
		}
	}
	removed, err := c.removeFinalizers(ctx, r.unfinalize)
	countUncounted(st, r.pods, removed)
	if err != nil {
		return err
	}
	c.recordBackoff(r)

	active := podutil.FilterActivePods(r.pods)
	decided, err := c.decide(ctx, r, active)
	switch {
	case err != nil:
		return err
	case decided:
		active = nil
	default:
		if active, err = c.manage(ctx, r, active); err != nil {
			return err
		}
	}
	setCounts(st, r.pods, active)
	if equality.Semantic.DeepEqual(old, st) {
		return nil
	}
	return c.writeStatus(ctx, r.job)
}

// track finds finished pods not yet counted and records them in the
// status; it reports whether the status must be written before any
// finalizer is removed.
func (c *Controller) track(r *round) bool {
	st := &r.job.Status
	unc := st.UncountedTerminatedPods
	pending := map[types.UID]bool{}
	for _, u := range slices.Concat(unc.Succeeded, unc.Failed) {
		pending[u] = true
	}
	indexed := isIndexed(r.job)
	if indexed {
		r.completed = parseIndexes(st.CompletedIndexes, completions(r.job))
	}
	flush := false
	for _, pod := range tracked(r.pods) {
		if pending[pod.UID] {
			r.unfinalize = append(r.unfinalize, pod)
			continue
		}
		switch {
		case pod.Status.Phase == corev1.PodSucceeded:
			r.newSuccess = true
			r.unfinalize = append(r.unfinalize, pod)
			if !indexed {
				unc.Succeeded = append(unc.Succeeded, pod.UID)
				flush = true
			} else if ix, ok := completionIndex(pod); ok && ix < completions(r.job) && !r.completed[ix] {
				r.completed[ix] = true
				flush = true
			}
		case isFailed(pod, r.job):
			r.unfinalize = append(r.unfinalize, pod)
			action, msg, matched := matchFailurePolicy(r.job.Spec.PodFailurePolicy, pod)
			if matched && action == batchv1.PodFailurePolicyActionIgnore {
				continue
			}
			if matched && action == batchv1.PodFailurePolicyActionFailJob && r.failJobMsg == "" {
				r.failJobMsg = msg
			}
			unc.Failed = append(unc.Failed, pod.UID)
			r.newFailures++
			flush = true
		}
	}
	if indexed {
		st.CompletedIndexes = formatIndexes(r.completed)
		st.Succeeded = int32(len(r.completed))
	}
	return flush
}

// countUncounted moves the uncounted pods whose finalizer is gone (or
// that are gone) into the succeeded and failed counters.
func countUncounted(st *batchv1.JobStatus, pods []*corev1.Pod, removed map[types.UID]bool) {
	holding := map[types.UID]bool{}
	for _, p := range tracked(pods) {
		holding[p.UID] = !removed[p.UID]
	}
	keep := func(uids []types.UID, counter *int32) []types.UID {
		var out []types.UID
		for _, u := range uids {
			if holding[u] {
				out = append(out, u)
			} else {
				*counter++
			}
		}
		return out
	}
	unc := st.UncountedTerminatedPods
	unc.Succeeded = keep(unc.Succeeded, &st.Succeeded)
	unc.Failed = keep(unc.Failed, &st.Failed)
}

// recordBackoff remembers failures since the last success.
func (c *Controller) recordBackoff(r *round) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := c.backoff[r.key]
	if r.newSuccess {
		rec = backoffRecord{}
	}
	if r.newFailures > 0 {
		rec.failures += r.newFailures
		rec.last = r.now
	}
	c.backoff[r.key] = rec
}

// backoffLeft returns how long the job must wait before replacing failed
// pods.
func (c *Controller) backoffLeft(key string, now time.Time) time.Duration {
	c.mu.Lock()
	rec := c.backoff[key]
	c.mu.Unlock()
	if rec.failures == 0 || c.PodFailureBackoff <= 0 {
		return 0
	}
	delay := c.PodFailureBackoff
	for i := 1; i < rec.failures && delay < MaxPodFailureBackoff; i++ {
		delay *= 2
	}
	return max(rec.last.Add(min(delay, MaxPodFailureBackoff)).Sub(now), 0)
}

func (c *Controller) forgetBackoff(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.backoff, key)
}

// decide adds the interim condition once the job has succeeded or
// failed, deletes its remaining pods, and adds the terminal condition
// once nothing is left to count. It reports whether the job's fate is
// decided (its active pods are then being deleted).
func (c *Controller) decide(ctx context.Context, r *round, active []*corev1.Pod) (bool, error) {
	job, st := r.job, &r.job.Status
	if !hasCondition(job, batchv1.JobFailureTarget) && !hasCondition(job, batchv1.JobSuccessCriteriaMet) {
		typ, reason, msg := c.verdict(r, active)
		if typ == "" {
			return false, nil
		}
		setCondition(job, typ, corev1.ConditionTrue, reason, msg, r.now)
	}
	success := hasCondition(job, batchv1.JobSuccessCriteriaMet)
	if len(active) > 0 {
		// Pods of a failed job still count as failures once gone;
		// surplus pods of a succeeded one do not.
		return true, c.deletePods(ctx, r, active, success)
	}
	unc := st.UncountedTerminatedPods
	if len(tracked(r.pods)) > len(r.unfinalize) || len(unc.Succeeded)+len(unc.Failed) > 0 {
		return true, nil
	}
	cond := condition(job, batchv1.JobFailureTarget)
	final := batchv1.JobFailed
	if success {
		cond, final = condition(job, batchv1.JobSuccessCriteriaMet), batchv1.JobComplete
		st.CompletionTime = &metav1.Time{Time: r.now}
		c.recorder.Event(job, corev1.EventTypeNormal, "Completed", "Job completed")
	} else {
		c.recorder.Event(job, corev1.EventTypeWarning, cond.Reason, cond.Message)
	}
	setCondition(job, final, corev1.ConditionTrue, cond.Reason, cond.Message, r.now)
	c.metrics.finished.WithLabelValues(string(final), cond.Reason).Inc()
	return true, nil
}

// verdict returns the interim condition the job has earned, if any.
func (c *Controller) verdict(r *round, active []*corev1.Pod) (batchv1.JobConditionType, string, string) {
	job, st := r.job, &r.job.Status
	failed := st.Failed + int32(len(st.UncountedTerminatedPods.Failed))
	switch {
	case r.failJobMsg != "":
		return batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy, r.failJobMsg
	case job.Spec.BackoffLimit != nil && failed > *job.Spec.BackoffLimit:
		return batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, msgBackoffLimit
	case c.pastDeadline(r):
		return batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded, msgDeadline
	}
	succeeded := st.Succeeded + int32(len(st.UncountedTerminatedPods.Succeeded))
	done := false
	switch {
	case isIndexed(job):
		done = len(r.completed) >= completions(job)
	case job.Spec.Completions == nil:
		done = succeeded > 0 && len(active) == 0
	default:
		done = succeeded >= *job.Spec.Completions
	}
	if done {
		return batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, msgCompletions
	}
	return "", "", ""
}

// pastDeadline reports whether the job ran longer than
// activeDeadlineSeconds, and otherwise schedules a sync for the moment it
// will.
func (c *Controller) pastDeadline(r *round) bool {
	d, start := r.job.Spec.ActiveDeadlineSeconds, r.job.Status.StartTime
	if d == nil || start == nil || suspended(r.job) {
		return false
	}
	left := start.Add(time.Duration(*d) * time.Second).Sub(r.now)
	if left <= 0 {
		return true
	}
	c.queue.AddAfter(r.key, left)
	return false
}

// setCounts fills the pod counters of the status from the pods seen and
// the ones still active after this round.
func setCounts(st *batchv1.JobStatus, pods, active []*corev1.Pod) {
	var ready, terminating int32
	for _, p := range active {
		if podutil.IsPodReady(p) {
			ready++
		}
	}
	for _, p := range pods {
		if p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			terminating++
		}
	}
	st.Active, st.Ready, st.Terminating = int32(len(active)), &ready, &terminating
}

func (c *Controller) writeStatus(ctx context.Context, job *batchv1.Job) error {
	written, err := c.client.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, job, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status of job %s/%s: %w", job.Namespace, job.Name, err)
	}
	job.ResourceVersion = written.ResourceVersion
	return nil
}

// removeFinalizers drops the tracking finalizer of pods; it returns the
// UIDs of the pods that no longer hold it.
func (c *Controller) removeFinalizers(ctx context.Context, pods []*corev1.Pod) (map[types.UID]bool, error) {
	done := map[types.UID]bool{}
	var errs []error
	for _, p := range pods {
		if err := c.removeFinalizer(ctx, p); err != nil {
			errs = append(errs, err)
			continue
		}
		done[p.UID] = true
	}
	return done, errors.Join(errs...)
}

var removeFinalizerPatch = []byte(`{"metadata":{"$deleteFromPrimitiveList/finalizers":["` + batchv1.JobTrackingFinalizer + `"]}}`)

func (c *Controller) removeFinalizer(ctx context.Context, p *corev1.Pod) error {
	if !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
		return nil
	}
	_, err := c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, removeFinalizerPatch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove finalizer of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}

// tracked returns the pods that still hold the tracking finalizer.
func tracked(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
			out = append(out, p)
		}
	}
	return out
}

// isFailed reports whether pod counts as failed: phase Failed, or, unless
// the job replaces only failed pods, deleted before it succeeded.
func isFailed(pod *corev1.Pod, job *batchv1.Job) bool {
	if pod.Status.Phase == corev1.PodFailed {
		return true
	}
	onlyFailed := job.Spec.PodFailurePolicy != nil ||
		(job.Spec.PodReplacementPolicy != nil && *job.Spec.PodReplacementPolicy == batchv1.Failed)
	return !onlyFailed && pod.DeletionTimestamp != nil && pod.Status.Phase != corev1.PodSucceeded
}

func isIndexed(job *batchv1.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion
}

func suspended(job *batchv1.Job) bool { return job.Spec.Suspend != nil && *job.Spec.Suspend }

// completions returns spec.completions, 0 when unset.
func completions(job *batchv1.Job) int {
	if job.Spec.Completions == nil {
		return 0
	}
	return int(*job.Spec.Completions)
}

// completionIndex reads the pod's completion index annotation.
func completionIndex(pod *corev1.Pod) (int, bool) {
	v, ok := pod.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		return 0, false
	}
	ix, err := strconv.Atoi(v)
	return ix, err == nil && ix >= 0
}

func finished(job *batchv1.Job) bool {
	return hasCondition(job, batchv1.JobComplete) || hasCondition(job, batchv1.JobFailed)
}

func condition(job *batchv1.Job, typ batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		if job.Status.Conditions[i].Type == typ {
			return &job.Status.Conditions[i]
		}
	}
	return nil
}

func hasCondition(job *batchv1.Job, typ batchv1.JobConditionType) bool {
	c := condition(job, typ)
	return c != nil && c.Status == corev1.ConditionTrue
}

// setCondition sets a condition, keeping its transition time when its
// status does not change; it reports whether anything changed.
func setCondition(job *batchv1.Job, typ batchv1.JobConditionType, status corev1.ConditionStatus, reason, msg string, now time.Time) bool {
	c := condition(job, typ)
	if c == nil {
		job.Status.Conditions = append(job.Status.Conditions, batchv1.JobCondition{Type: typ})
		c = &job.Status.Conditions[len(job.Status.Conditions)-1]
	}
	if c.Status == status && c.Reason == reason && c.Message == msg {
		return false
	}
	if c.Status != status {
		c.LastTransitionTime = metav1.NewTime(now)
	}
	c.Status, c.Reason, c.Message, c.LastProbeTime = status, reason, msg, metav1.NewTime(now)
	return true
}
