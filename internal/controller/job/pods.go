package job

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// indexEnv is the variable that tells a pod of an Indexed job its index.
const indexEnv = "JOB_COMPLETION_INDEX"

// manage suspends or resumes the job and creates or deletes pods to reach
// the wanted number of active pods; it returns the pods active after it.
func (c *Controller) manage(ctx context.Context, r *round, active []*corev1.Pod) ([]*corev1.Pod, error) {
	job := r.job
	if suspended(job) {
		if setCondition(job, batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended", r.now) {
			c.recorder.Event(job, corev1.EventTypeNormal, "Suspended", "Job suspended")
		}
		return nil, c.deletePods(ctx, r, active, true)
	}
	if hasCondition(job, batchv1.JobSuspended) {
		setCondition(job, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed", r.now)
		c.recorder.Event(job, corev1.EventTypeNormal, "Resumed", "Job resumed")
		// activeDeadlineSeconds counts time continuously active.
		job.Status.StartTime = &metav1.Time{Time: r.now}
	}
	if !c.exp.Satisfied(r.key) {
		return active, nil
	}
	keep, surplus, missing := c.plan(r, active)
	if len(surplus) > 0 {
		return keep, c.deletePods(ctx, r, surplus, true)
	}
	if len(missing) == 0 {
		return keep, nil
	}
	if wait := c.backoffLeft(r.key, r.now); wait > 0 {
		c.queue.AddAfter(r.key, wait)
		return keep, nil
	}
	created, err := c.createPods(ctx, r, missing)
	return append(keep, created...), err
}

// plan splits the active pods into those to keep and the surplus, and
// lists the completion indexes of the pods to create (-1 for pods of a
// NonIndexed job).
func (c *Controller) plan(r *round, active []*corev1.Pod) (keep, surplus []*corev1.Pod, missing []int) {
	job, st := r.job, &r.job.Status
	parallelism := 1
	if job.Spec.Parallelism != nil {
		parallelism = int(*job.Spec.Parallelism)
	}
	if !isIndexed(job) {
		succeeded := int(st.Succeeded) + len(st.UncountedTerminatedPods.Succeeded)
		want := parallelism
		switch {
		case job.Spec.Completions == nil && succeeded > 0:
			want = min(want, len(active))
		case job.Spec.Completions != nil:
			want = max(min(want, int(*job.Spec.Completions)-succeeded), 0)
		}
		keep, surplus = splitSurplus(active, want)
		for range want - len(keep) {
			missing = append(missing, -1)
		}
		return keep, surplus, missing
	}
	// One pod per index below completions that has not succeeded.
	seen := map[int]bool{}
	var valid []*corev1.Pod
	for _, p := range active {
		ix, ok := completionIndex(p)
		if !ok || ix >= completions(job) || r.completed[ix] || seen[ix] {
			surplus = append(surplus, p)
			continue
		}
		seen[ix] = true
		valid = append(valid, p)
	}
	want := min(parallelism, completions(job)-len(r.completed))
	keep, extra := splitSurplus(valid, want)
	surplus = append(surplus, extra...)
	for ix := 0; ix < completions(job) && len(keep)+len(missing) < want; ix++ {
		if !seen[ix] && !r.completed[ix] {
			missing = append(missing, ix)
		}
	}
	return keep, surplus, missing
}

// splitSurplus keeps want pods, giving up first the ones Kubernetes'
// ActivePods order deletes first.
func splitSurplus(pods []*corev1.Pod, want int) (keep, surplus []*corev1.Pod) {
	if len(pods) <= want {
		return pods, nil
	}
	sorted := append([]*corev1.Pod(nil), pods...)
	sort.Sort(podutil.ActivePods(sorted))
	n := len(sorted) - want
	return sorted[n:], sorted[:n]
}

// createPods creates one pod per entry of indexes and returns the pods
// created.
func (c *Controller) createPods(ctx context.Context, r *round, indexes []int) ([]*corev1.Pod, error) {
	c.exp.Expect(r.key, len(indexes), nil)
	var created []*corev1.Pod
	var errs []error
	for _, ix := range indexes {
		pod, err := c.client.CoreV1().Pods(r.job.Namespace).Create(ctx, newPod(r.job, ix), metav1.CreateOptions{})
		if err != nil {
			c.exp.CreationObserved(r.key)
			if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
				c.recorder.Eventf(r.job, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
				errs = append(errs, fmt.Errorf("create pod of job %s: %w", r.key, err))
			}
			continue
		}
		c.metrics.podsCreated.Inc()
		c.recorder.Eventf(r.job, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", pod.Name)
		created = append(created, pod)
	}
	return created, errors.Join(errs...)
}

// newPod builds a pod of job; ix is its completion index, or -1.
func newPod(job *batchv1.Job, ix int) *corev1.Pod {
	pod := podutil.PodFromTemplate(&job.Spec.Template, job, podutil.NewControllerRef(job, jobKind))
	pod.Finalizers = append(pod.Finalizers, batchv1.JobTrackingFinalizer)
	if ix < 0 {
		return pod
	}
	s := strconv.Itoa(ix)
	pod.GenerateName = fmt.Sprintf("%s-%d-", job.Name, ix)
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Annotations[batchv1.JobCompletionIndexAnnotation] = s
	pod.Labels[batchv1.JobCompletionIndexAnnotation] = s
	if pod.Spec.Hostname == "" {
		pod.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, ix)
	}
	env := corev1.EnvVar{Name: indexEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
		FieldPath: fmt.Sprintf("metadata.annotations['%s']", batchv1.JobCompletionIndexAnnotation),
	}}}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			list[i].Env = append(list[i].Env, env)
		}
	}
	return pod
}

// deletePods deletes pods; with unfinalize their tracking finalizer goes
// first, so that they do not count as failed.
func (c *Controller) deletePods(ctx context.Context, r *round, pods []*corev1.Pod, unfinalize bool) error {
	uids := make([]types.UID, 0, len(pods))
	for _, p := range pods {
		uids = append(uids, p.UID)
	}
	c.exp.Expect(r.key, 0, uids)
	var errs []error
	for _, p := range pods {
		if err := c.deletePod(ctx, r, p, unfinalize); err != nil {
			c.exp.DeletionObserved(r.key, p.UID)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) deletePod(ctx context.Context, r *round, p *corev1.Pod, unfinalize bool) error {
	if unfinalize {
		if err := c.removeFinalizer(ctx, p); err != nil {
			return err
		}
	}
	err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		c.recorder.Eventf(r.job, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
		return fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	c.recorder.Eventf(r.job, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
	return nil
}
