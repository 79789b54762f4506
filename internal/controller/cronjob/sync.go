package cronjob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
	"github.com/skiff-sh/skiff/internal/registry/batch"
)

func (c *Controller) sync(ctx context.Context, key string) error {
	cj, found, err := worker.Get(key, func(ns, name string) (*batchv1.CronJob, error) {
		return c.cjLister.CronJobs(ns).Get(name)
	})
	if err != nil || !found {
		return err
	}
	cj = cj.DeepCopy()
	jobs, err := c.jobsOf(cj)
	if err != nil {
		return err
	}
	old := cj.Status.DeepCopy()
	requeue, ok, syncErr := c.syncCronJob(ctx, cj, jobs)
	if !equalStatus(old, &cj.Status) {
		if _, err := c.client.BatchV1().CronJobs(cj.Namespace).UpdateStatus(ctx, cj, metav1.UpdateOptions{}); err != nil {
			return errors.Join(syncErr, fmt.Errorf("update status of cronjob %s: %w", key, err))
		}
	}
	if ok {
		c.queue.AddAfter(key, requeue)
	}
	if cj.DeletionTimestamp == nil {
		syncErr = errors.Join(syncErr, c.cleanupFinished(ctx, cj, jobs))
	}
	return syncErr
}

func equalStatus(a, b *batchv1.CronJobStatus) bool {
	return slices.Equal(a.Active, b.Active) && a.LastScheduleTime.Equal(b.LastScheduleTime) &&
		a.LastSuccessfulTime.Equal(b.LastSuccessfulTime)
}

// jobsOf returns the jobs cj controls.
func (c *Controller) jobsOf(cj *batchv1.CronJob) ([]*batchv1.Job, error) {
	all, err := c.jobLister.Jobs(cj.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	return podutil.ControlledBy(all, cj.UID), nil
}

// syncCronJob updates cj's status from its jobs and starts the job due
// now, if any; it returns when to look again.
func (c *Controller) syncCronJob(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) (time.Duration, bool, error) {
	now := c.Clock.Now()
	if err := c.reconcileActive(ctx, cj, jobs); err != nil {
		return 0, false, err
	}
	if cj.DeletionTimestamp != nil || (cj.Spec.Suspend != nil && *cj.Spec.Suspend) {
		return 0, false, nil
	}
	if tz := cj.Spec.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil {
			c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnknownTimeZone", "invalid timeZone: %q: %s", *tz, err)
			return 0, false, nil
		}
	}
	if strings.Contains(cj.Spec.Schedule, "TZ") {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnsupportedSchedule",
			"CRON_TZ or TZ used in schedule %q is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details", cj.Spec.Schedule)
	}
	sched, err := batch.CompileSchedule(scheduleSpec(cj))
	if err != nil {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnparseableSchedule", "unparseable schedule: %q : %s", cj.Spec.Schedule, err)
		return 0, false, nil
	}
	_, scheduled, missed, err := mostRecent(cj, now, sched, true)
	if err != nil {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "InvalidSchedule", "invalid schedule: %s : %s", cj.Spec.Schedule, err)
		return 0, false, nil
	}
	if missed > tooManyMissed {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "TooManyMissedTimes",
			"too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
		c.log.Info("too many missed times", "cronjob", cj.Namespace+"/"+cj.Name, "missed", missed)
	}
	requeue, ok := requeueAfter(cj, now, sched)
	if scheduled == nil {
		return requeue, ok, nil
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		c.metrics.missed.Inc()
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "MissSchedule", "Missed scheduled time to start a job: %s", scheduled.UTC().Format(time.RFC1123Z))
		return requeue, ok, nil
	}
	if c.started(cj, *scheduled) {
		return requeue, ok, nil
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
			return requeue, ok, nil
		}
	case batchv1.ReplaceConcurrent:
		if err := c.replaceActive(ctx, cj); err != nil {
			return 0, false, err
		}
	}
	if err := c.start(ctx, cj, *scheduled, now); err != nil {
		return 0, false, err
	}
	requeue, ok = requeueAfter(cj, now, sched)
	return requeue, ok, nil
}

// started reports whether the job for scheduled was already started.
func (c *Controller) started(cj *batchv1.CronJob, scheduled time.Time) bool {
	name := jobName(cj, scheduled)
	if slices.ContainsFunc(cj.Status.Active, func(r corev1.ObjectReference) bool { return r.Name == name }) {
		return true
	}
	return cj.Status.LastScheduleTime != nil && cj.Status.LastScheduleTime.Time.Equal(scheduled)
}

// reconcileActive drops finished and vanished jobs from status.active and
// records the last success.
func (c *Controller) reconcileActive(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) error {
	seen := map[types.UID]bool{}
	for _, j := range jobs {
		seen[j.UID] = true
		active := slices.ContainsFunc(cj.Status.Active, func(r corev1.ObjectReference) bool { return r.UID == j.UID })
		cond := finishedCondition(j)
		switch {
		case !active && cond == "":
			c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: %s", j.Name)
		case active && cond != "":
			removeActive(cj, j.UID)
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %s", j.Name, cond)
		}
		if cond == batchv1.JobComplete && j.Status.CompletionTime != nil &&
			(cj.Status.LastSuccessfulTime == nil || j.Status.CompletionTime.After(cj.Status.LastSuccessfulTime.Time)) {
			cj.Status.LastSuccessfulTime = j.Status.CompletionTime.DeepCopy()
		}
	}
	for _, ref := range slices.Clone(cj.Status.Active) {
		if seen[ref.UID] {
			continue
		}
		// The cache may lag: ask the API server before forgetting it.
		_, err := c.client.BatchV1().Jobs(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "MissingJob", "Active job went missing: %v", ref.Name)
			removeActive(cj, ref.UID)
		case err != nil:
			return fmt.Errorf("get job %s/%s: %w", ref.Namespace, ref.Name, err)
		}
	}
	return nil
}

func removeActive(cj *batchv1.CronJob, uid types.UID) {
	cj.Status.Active = slices.DeleteFunc(cj.Status.Active, func(r corev1.ObjectReference) bool { return r.UID == uid })
}

// finishedCondition returns Complete or Failed once the job finished.
func finishedCondition(j *batchv1.Job) batchv1.JobConditionType {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

// replaceActive deletes the active jobs (concurrencyPolicy Replace).
func (c *Controller) replaceActive(ctx context.Context, cj *batchv1.CronJob) error {
	for _, ref := range slices.Clone(cj.Status.Active) {
		j, err := c.jobLister.Jobs(ref.Namespace).Get(ref.Name)
		if apierrors.IsNotFound(err) {
			removeActive(cj, ref.UID)
			continue
		}
		if err != nil {
			return err
		}
		if err := c.deleteJob(ctx, cj, j); err != nil {
			return err
		}
		removeActive(cj, ref.UID)
	}
	return nil
}

func (c *Controller) deleteJob(ctx context.Context, cj *batchv1.CronJob, j *batchv1.Job) error {
	policy := metav1.DeletePropagationBackground
	err := c.client.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if err != nil && !apierrors.IsNotFound(err) {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return fmt.Errorf("delete job %s/%s: %w", j.Namespace, j.Name, err)
	}
	c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", j.Name)
	return nil
}

// start creates the job for scheduled and records it as active.
func (c *Controller) start(ctx context.Context, cj *batchv1.CronJob, scheduled, now time.Time) error {
	want := newJob(cj, scheduled)
	job, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, want, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		// Made by an earlier sync whose status write was lost.
		if job, err = c.client.BatchV1().Jobs(cj.Namespace).Get(ctx, want.Name, metav1.GetOptions{}); err != nil {
			return err
		}
		if !podutil.IsControlledBy(job, cj.UID) {
			return fmt.Errorf("job %s/%s exists and belongs to someone else", job.Namespace, job.Name)
		}
	case err != nil:
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return fmt.Errorf("create job %s/%s: %w", want.Namespace, want.Name, err)
	default:
		c.metrics.created.Inc()
		c.metrics.skew.Observe(now.Sub(scheduled).Seconds())
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", job.Name)
	}
	if finishedCondition(job) == "" && !slices.ContainsFunc(cj.Status.Active, func(r corev1.ObjectReference) bool { return r.UID == job.UID }) {
		cj.Status.Active = append(cj.Status.Active, corev1.ObjectReference{
			Kind: "Job", APIVersion: batchv1.SchemeGroupVersion.String(), Namespace: job.Namespace,
			Name: job.Name, UID: job.UID, ResourceVersion: job.ResourceVersion,
		})
	}
	cj.Status.LastScheduleTime = &metav1.Time{Time: scheduled}
	return nil
}

// newJob builds the job of cj scheduled at t.
func newJob(cj *batchv1.CronJob, t time.Time) *batchv1.Job {
	tmpl := &cj.Spec.JobTemplate
	annotations := maps.Clone(tmpl.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	loc := time.UTC
	if cj.Spec.TimeZone != nil {
		if l, err := time.LoadLocation(*cj.Spec.TimeZone); err == nil {
			loc = l
		}
	}
	annotations[batchv1.CronJobScheduledTimestampAnnotation] = t.In(loc).Format(time.RFC3339)
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: jobName(cj, t), Namespace: cj.Namespace,
			Labels: maps.Clone(tmpl.Labels), Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, cronJobKind)},
		},
	}
	tmpl.Spec.DeepCopyInto(&j.Spec)
	return j
}

// cleanupFinished deletes finished jobs beyond the history limits,
// oldest first.
func (c *Controller) cleanupFinished(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) error {
	var succeeded, failed []*batchv1.Job
	for _, j := range jobs {
		switch finishedCondition(j) {
		case batchv1.JobComplete:
			succeeded = append(succeeded, j)
		case batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	var errs []error
	for _, set := range []struct {
		jobs  []*batchv1.Job
		limit *int32
	}{{succeeded, cj.Spec.SuccessfulJobsHistoryLimit}, {failed, cj.Spec.FailedJobsHistoryLimit}} {
		if set.limit == nil || len(set.jobs) <= int(*set.limit) {
			continue
		}
		sort.Slice(set.jobs, func(i, k int) bool { return startedBefore(set.jobs[i], set.jobs[k]) })
		for _, j := range set.jobs[:len(set.jobs)-int(*set.limit)] {
			errs = append(errs, c.deleteJob(ctx, cj, j))
		}
	}
	return errors.Join(errs...)
}

// startedBefore orders jobs by start time, jobs not started last, then
// by name.
func startedBefore(a, b *batchv1.Job) bool {
	sa, sb := a.Status.StartTime, b.Status.StartTime
	switch {
	case sa == nil && sb != nil:
		return false
	case sa != nil && sb == nil:
		return true
	case sa == nil || sa.Equal(sb):
		return a.Name < b.Name
	}
	return sa.Before(sb)
}
