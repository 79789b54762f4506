package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/cronjob"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// touchCronJob changes an annotation so that the controller syncs now.
func touchCronJob(t *testing.T, c *testcluster.Cluster, name string, n int) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"test/touch":"%d"}}}`, n)
	if _, err := c.Client.BatchV1().CronJobs("default").Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func cronJobsJobs(t *testing.T, c *testcluster.Cluster) []batchv1.Job {
	l, err := c.Client.BatchV1().Jobs("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

func hasEvent(t *testing.T, c *testcluster.Cluster, reason string) bool {
	l, err := c.Client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{FieldSelector: "reason=" + reason})
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Items) > 0
}

func TestCronJobSchedulesWithFakeClock(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	clk := testingclock.NewFakeClock(time.Now())
	c.RunControllers(t, map[string]controllerctx.Constructor{
		"cronjob": func(cc *controllerctx.Context) (controllerctx.Controller, error) {
			ctl, err := cronjob.New(cc)
			if err == nil {
				ctl.(*cronjob.Controller).Clock = clk
			}
			return ctl, err
		},
	}, nil)
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "tick"},
		Spec: batchv1.CronJobSpec{
			Schedule: "* * * * *", ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"from": "tick"}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyOnFailure,
					Containers:    []corev1.Container{{Name: "c", Image: "busybox:1.35"}},
				}}},
			},
		},
	}
	created, err := c.Client.BatchV1().CronJobs("default").Create(ctx, cj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is due before the first minute after creation.
	time.Sleep(300 * time.Millisecond)
	if jobs := cronJobsJobs(t, c); len(jobs) != 0 {
		t.Fatalf("job created before its time: %s", jobs[0].Name)
	}

	first := created.CreationTimestamp.Truncate(time.Minute).Add(time.Minute)
	clk.SetTime(first.Add(5 * time.Second))
	touchCronJob(t, c, "tick", 1)
	var job batchv1.Job
	waitFor(t, func() bool {
		jobs := cronJobsJobs(t, c)
		if len(jobs) == 1 {
			job = jobs[0]
		}
		return len(jobs) == 1
	}, "the first job")
	if want := fmt.Sprintf("tick-%d", first.Unix()/60); job.Name != want {
		t.Errorf("job name %s, want %s", job.Name, want)
	}
	if got := job.Annotations[batchv1.CronJobScheduledTimestampAnnotation]; got != first.UTC().Format(time.RFC3339) {
		t.Errorf("scheduled timestamp annotation %q", got)
	}
	if job.Labels["from"] != "tick" || metav1.GetControllerOf(&job).UID != created.UID {
		t.Errorf("job labels %v owners %v", job.Labels, job.OwnerReferences)
	}
	waitFor(t, func() bool {
		got, err := c.Client.BatchV1().CronJobs("default").Get(ctx, "tick", metav1.GetOptions{})
		return err == nil && len(got.Status.Active) == 1 && got.Status.LastScheduleTime != nil && got.Status.LastScheduleTime.Time.Equal(first)
	}, "status with the active job")

	// Forbid: the next start waits while the job runs.
	clk.SetTime(first.Add(65 * time.Second))
	touchCronJob(t, c, "tick", 2)
	waitFor(t, func() bool { return hasEvent(t, c, "JobAlreadyActive") }, "JobAlreadyActive event")
	if n := len(cronJobsJobs(t, c)); n != 1 {
		t.Fatalf("%d jobs while Forbid", n)
	}

	// The job completes: it leaves the active list and the due start runs.
	done := metav1.NewTime(first.Add(70 * time.Second))
	job.Status.StartTime = &metav1.Time{Time: first}
	job.Status.CompletionTime = &done
	job.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: done},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: done},
	}
	if _, err := c.Client.BatchV1().Jobs("default").UpdateStatus(ctx, &job, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		got, err := c.Client.BatchV1().CronJobs("default").Get(ctx, "tick", metav1.GetOptions{})
		return err == nil && got.Status.LastSuccessfulTime != nil && len(got.Status.Active) == 1 &&
			got.Status.Active[0].Name == fmt.Sprintf("tick-%d", first.Unix()/60+1)
	}, "completed job recorded and the next one started")

	// Hours later: far more than 100 starts were missed.
	clk.SetTime(first.Add(3 * time.Hour))
	touchCronJob(t, c, "tick", 3)
	waitFor(t, func() bool { return hasEvent(t, c, "TooManyMissedTimes") }, "TooManyMissedTimes event")
}
