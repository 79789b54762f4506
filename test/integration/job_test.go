package integration

import (
	"context"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/job"
	"github.com/skiff-sh/skiff/internal/controller/ttlafterfinished"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func batchJob(name string, completions, parallelism int32) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			Completions: &completions, Parallelism: &parallelism,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "work", Image: "busybox:1.35"}},
			}},
		},
	}
}

func startJobControllers(t *testing.T) *testcluster.Cluster {
	c := testcluster.Start(t)
	c.RunControllers(t, map[string]controllerctx.Constructor{
		"job": job.New, "ttl-after-finished": ttlafterfinished.New,
	}, nil)
	return c
}

// finishPod plays the kubelet: the pod's container exits with code.
func finishPod(t *testing.T, c *testcluster.Cluster, p *corev1.Pod, code int32) {
	t.Helper()
	p = p.DeepCopy()
	p.Status.Phase = corev1.PodSucceeded
	if code != 0 {
		p.Status.Phase = corev1.PodFailed
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "work", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: code, FinishedAt: metav1.Now()}}}}
	if _, err := c.Client.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// runningJobPods waits for n active pods of job and returns them.
func runningJobPods(t *testing.T, c *testcluster.Cluster, name string, n int) []corev1.Pod {
	t.Helper()
	var out []corev1.Pod
	waitFor(t, func() bool {
		out = out[:0]
		for _, p := range listPods(t, c.Client, "default", batchv1.JobNameLabel+"="+name) {
			if p.DeletionTimestamp == nil && (p.Status.Phase == "" || p.Status.Phase == corev1.PodPending) {
				out = append(out, p)
			}
		}
		return len(out) == n
	}, "active pods of job "+name)
	return out
}

func waitJobCondition(t *testing.T, c *testcluster.Cluster, name string, typ batchv1.JobConditionType) *batchv1.Job {
	t.Helper()
	var j *batchv1.Job
	waitFor(t, func() bool {
		var err error
		j, err = c.Client.BatchV1().Jobs("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cond := range j.Status.Conditions {
			if cond.Type == typ && cond.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}, "job "+name+" condition "+string(typ))
	return j
}

func TestJobCompletes(t *testing.T) {
	c := startJobControllers(t)
	ctx := context.Background()
	if _, err := c.Client.BatchV1().Jobs("default").Create(ctx, batchJob("pi", 3, 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := runningJobPods(t, c, "pi", 2)
	for _, p := range pods {
		if !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
			t.Errorf("pod %s lacks the tracking finalizer: %v", p.Name, p.Finalizers)
		}
		finishPod(t, c, &p, 0)
	}
	last := runningJobPods(t, c, "pi", 1)
	finishPod(t, c, &last[0], 0)
	j := waitJobCondition(t, c, "pi", batchv1.JobComplete)
	if j.Status.Succeeded != 3 || j.Status.Failed != 0 || j.Status.Active != 0 || j.Status.CompletionTime == nil || j.Status.StartTime == nil {
		t.Errorf("status = %+v", j.Status)
	}
	if !slices.ContainsFunc(j.Status.Conditions, func(c batchv1.JobCondition) bool { return c.Type == batchv1.JobSuccessCriteriaMet }) {
		t.Errorf("no SuccessCriteriaMet condition: %+v", j.Status.Conditions)
	}
	waitFor(t, func() bool {
		for _, p := range listPods(t, c.Client, "default", batchv1.JobNameLabel+"=pi") {
			if len(p.Finalizers) > 0 {
				return false
			}
		}
		return true
	}, "tracking finalizers removed")
}

func TestJobTTLAfterFinishedDeletesFailedJob(t *testing.T) {
	c := startJobControllers(t)
	ctx := context.Background()
	j := batchJob("flaky", 3, 3)
	limit, ttl := int32(2), int32(0)
	j.Spec.BackoffLimit, j.Spec.TTLSecondsAfterFinished = &limit, &ttl
	if _, err := c.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range runningJobPods(t, c, "flaky", 3) {
		finishPod(t, c, &p, 1)
	}
	var got *batchv1.Job
	waitFor(t, func() bool {
		var err error
		got, err = c.Client.BatchV1().Jobs("default").Get(ctx, "flaky", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true // TTL 0: deleted as soon as it failed
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == batchv1.JobFailed && cond.Reason != batchv1.JobReasonBackoffLimitExceeded {
				t.Fatalf("Failed for %s", cond.Reason)
			}
		}
		return false
	}, "failed job deleted by its TTL")
	events, err := c.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "reason=" + batchv1.JobReasonBackoffLimitExceeded})
	if err != nil || len(events.Items) == 0 {
		t.Errorf("no BackoffLimitExceeded event: %v", err)
	}
}

func TestJobFailsAtBackoffLimit(t *testing.T) {
	c := startJobControllers(t)
	ctx := context.Background()
	j := batchJob("doomed", 3, 3)
	limit := int32(2)
	j.Spec.BackoffLimit = &limit
	if _, err := c.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range runningJobPods(t, c, "doomed", 3) {
		finishPod(t, c, &p, 1)
	}
	got := waitJobCondition(t, c, "doomed", batchv1.JobFailed)
	if got.Status.Failed != 3 || got.Status.CompletionTime != nil {
		t.Errorf("status = %+v", got.Status)
	}
	for _, cond := range got.Status.Conditions {
		if (cond.Type == batchv1.JobFailed || cond.Type == batchv1.JobFailureTarget) &&
			(cond.Reason != batchv1.JobReasonBackoffLimitExceeded || cond.Message != "Job has reached the specified backoff limit") {
			t.Errorf("condition %+v", cond)
		}
	}
}

func TestJobIndexed(t *testing.T) {
	c := startJobControllers(t)
	ctx := context.Background()
	j := batchJob("idx", 3, 3)
	mode := batchv1.IndexedCompletion
	j.Spec.CompletionMode = &mode
	if _, err := c.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := runningJobPods(t, c, "idx", 3)
	var hosts []string
	for _, p := range pods {
		ix := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		if p.Labels[batchv1.JobCompletionIndexAnnotation] != ix || !strings.HasPrefix(p.Name, "idx-"+ix+"-") {
			t.Errorf("pod %s: index annotation %q, labels %v", p.Name, ix, p.Labels)
		}
		hosts = append(hosts, p.Spec.Hostname)
	}
	slices.Sort(hosts)
	if !slices.Equal(hosts, []string{"idx-0", "idx-1", "idx-2"}) {
		t.Errorf("hostnames %v", hosts)
	}
	for _, p := range pods {
		finishPod(t, c, &p, 0)
	}
	got := waitJobCondition(t, c, "idx", batchv1.JobComplete)
	if got.Status.CompletedIndexes != "0-2" || got.Status.Succeeded != 3 {
		t.Errorf("status = %+v", got.Status)
	}
}
