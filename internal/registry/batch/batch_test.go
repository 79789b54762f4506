package batch_test

import (
	"math"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry/batch"
	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
	wt "github.com/skiff-sh/skiff/internal/registry/workload/workloadtest"
)

var strategies = batch.Strategies()

func job(mutate func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: wt.Meta("pi"), Spec: batchv1.JobSpec{Template: wt.Template(nil)}}
	j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	if mutate != nil {
		mutate(j)
	}
	return j
}

func TestJobDefaults(t *testing.T) {
	j := job(nil)
	wt.Expect(t, wt.Create(strategies["jobs"], j))
	s := j.Spec
	switch {
	case *s.Completions != 1, *s.Parallelism != 1, *s.BackoffLimit != 6, *s.CompletionMode != batchv1.NonIndexedCompletion,
		*s.Suspend, *s.PodReplacementPolicy != batchv1.TerminatingOrFailed, s.ManualSelector != nil:
		t.Errorf("defaults %+v", s)
	}

	parallel := job(func(j *batchv1.Job) { j.Spec.Parallelism = workload.Ptr[int32](3) })
	wt.Expect(t, wt.Create(strategies["jobs"], parallel))
	if parallel.Spec.Completions != nil {
		t.Errorf("completions defaulted with parallelism set: %d", *parallel.Spec.Completions)
	}

	perIndex := job(func(j *batchv1.Job) {
		j.Spec.CompletionMode = workload.Ptr(batchv1.IndexedCompletion)
		j.Spec.BackoffLimitPerIndex = workload.Ptr[int32](1)
		j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
			Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
		}}}
	})
	wt.Expect(t, wt.Create(strategies["jobs"], perIndex))
	if *perIndex.Spec.BackoffLimit != math.MaxInt32 || *perIndex.Spec.PodReplacementPolicy != batchv1.Failed ||
		perIndex.Spec.PodFailurePolicy.Rules[0].OnPodConditions[0].Status != corev1.ConditionTrue {
		t.Errorf("per-index defaults %+v", perIndex.Spec)
	}
}

func TestJobGeneratedSelector(t *testing.T) {
	j := job(nil)
	wt.Expect(t, wt.Create(strategies["jobs"], j))
	want := map[string]string{
		batchv1.ControllerUidLabel: wt.UID, "controller-uid": wt.UID,
		batchv1.JobNameLabel: "pi", "job-name": "pi",
	}
	for k, v := range want {
		if j.Spec.Template.Labels[k] != v || j.Labels[k] != v {
			t.Errorf("label %s: template %q job %q", k, j.Spec.Template.Labels[k], j.Labels[k])
		}
	}
	if sel := j.Spec.Selector.MatchLabels; len(sel) != 1 || sel[batchv1.ControllerUidLabel] != wt.UID {
		t.Errorf("selector %v", j.Spec.Selector)
	}

	labelled := job(func(j *batchv1.Job) { j.Spec.Template.Labels = map[string]string{"app": "pi"} })
	wt.Expect(t, wt.Create(strategies["jobs"], labelled))
	if len(labelled.Labels) != 1 || labelled.Labels["app"] != "pi" {
		t.Errorf("job labels %v, want the client's template labels", labelled.Labels)
	}
}

func TestJobValidate(t *testing.T) {
	manual := func(j *batchv1.Job) {
		j.Spec.ManualSelector = workload.Ptr(true)
		j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
		j.Spec.Template.Labels = map[string]string{"app": "pi"}
	}
	cases := []struct {
		name   string
		mutate func(*batchv1.Job)
		want   []string
	}{
		{"valid", nil, nil},
		{"manual selector", manual, nil},
		{"manual mismatch", func(j *batchv1.Job) { manual(j); j.Spec.Template.Labels["app"] = "x" }, []string{"spec.template.metadata.labels: Invalid value"}},
		{"manual without selector", func(j *batchv1.Job) { j.Spec.ManualSelector = workload.Ptr(true) }, []string{"spec.selector: Required value"}},
		{"selector not generated", func(j *batchv1.Job) {
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
			j.Spec.Template.Labels = map[string]string{"app": "pi"}
		}, []string{"spec.selector: Invalid value"}},
		{"conflicting uid label", func(j *batchv1.Job) { j.Spec.Template.Labels = map[string]string{"controller-uid": "x"} },
			[]string{"spec.template.metadata.labels[controller-uid]: Invalid value"}},
		{"restart always", func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = "" }, []string{"spec.template.spec.restartPolicy: Required value"}},
		{"negative parallelism", func(j *batchv1.Job) { j.Spec.Parallelism = workload.Ptr[int32](-1) }, []string{"spec.parallelism: Invalid value"}},
		{"indexed without completions", func(j *batchv1.Job) {
			j.Spec.Parallelism, j.Spec.CompletionMode = workload.Ptr[int32](2), workload.Ptr(batchv1.IndexedCompletion)
		}, []string{"spec.completions: Required value"}},
		{"bad completion mode", func(j *batchv1.Job) { j.Spec.CompletionMode = workload.Ptr(batchv1.CompletionMode("Some")) }, []string{"spec.completionMode: Unsupported value"}},
		{"per index needs indexed", func(j *batchv1.Job) { j.Spec.BackoffLimitPerIndex = workload.Ptr[int32](1) }, []string{"spec.backoffLimitPerIndex: Forbidden"}},
		{"failure policy with OnFailure", func(j *batchv1.Job) {
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{1}},
			}}}
		}, []string{"spec.template.spec.restartPolicy: Invalid value"}},
		{"failure policy rules", func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
				{Action: batchv1.PodFailurePolicyActionIgnore},
				{Action: "Retry", OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: workload.Ptr("x"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{0, 2, 1}}},
			}}
		}, []string{
			"spec.podFailurePolicy.rules[0]: Invalid value", "spec.podFailurePolicy.rules[1].action: Unsupported value",
			"spec.podFailurePolicy.rules[1].onExitCodes.containerName: Invalid value",
			"spec.podFailurePolicy.rules[1].onExitCodes.values[0]: Invalid value", "spec.podFailurePolicy.rules[1].onExitCodes.values[2]: Invalid value",
		}},
		{"replacement with failure policy", func(j *batchv1.Job) {
			j.Spec.PodReplacementPolicy = workload.Ptr(batchv1.TerminatingOrFailed)
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{}
		}, []string{"spec.podReplacementPolicy: Unsupported value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wt.Expect(t, wt.Create(strategies["jobs"], job(c.mutate)), c.want...)
		})
	}
}

func TestJobRestartPolicyMessage(t *testing.T) {
	errs := wt.Create(strategies["jobs"], job(func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = "" }))
	want := `spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`
	if len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("errors %v, want %s", errs, want)
	}
}

func TestJobUpdate(t *testing.T) {
	s := strategies["jobs"]
	created := func(mutate func(*batchv1.Job)) *batchv1.Job {
		j := job(mutate)
		wt.Expect(t, wt.Create(s, j))
		return j
	}
	suspended := func(j *batchv1.Job) { j.Spec.Suspend = workload.Ptr(true) }
	elastic := func(j *batchv1.Job) {
		j.Spec.CompletionMode = workload.Ptr(batchv1.IndexedCompletion)
		j.Spec.Completions, j.Spec.Parallelism = workload.Ptr[int32](2), workload.Ptr[int32](2)
	}
	cases := []struct {
		name   string
		old    *batchv1.Job
		mutate func(*batchv1.Job)
		want   []string
	}{
		{"parallelism", created(nil), func(j *batchv1.Job) { j.Spec.Parallelism = workload.Ptr[int32](4) }, nil},
		{"completions", created(nil), func(j *batchv1.Job) { j.Spec.Completions = workload.Ptr[int32](4) }, []string{"spec.completions: Invalid value"}},
		{"elastic completions", created(elastic), func(j *batchv1.Job) {
			j.Spec.Completions, j.Spec.Parallelism = workload.Ptr[int32](3), workload.Ptr[int32](3)
		}, nil},
		{"template", created(nil), func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "perl" }, []string{"spec.template: Invalid value"}},
		{"suspended scheduling", created(suspended), func(j *batchv1.Job) { j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"} }, nil},
		{"suspended image", created(suspended), func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "perl" }, []string{"spec.template: Invalid value"}},
		{"completion mode", created(nil), func(j *batchv1.Job) { j.Spec.CompletionMode = workload.Ptr(batchv1.IndexedCompletion) }, []string{"spec.completionMode: Invalid value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := c.old.DeepCopy()
			c.mutate(obj)
			wt.Expect(t, wt.Update(s, obj, c.old), c.want...)
			if c.want == nil && obj.Generation != 2 {
				t.Errorf("generation %d", obj.Generation)
			}
		})
	}
}

func TestJobStatus(t *testing.T) {
	old := job(nil)
	wt.Create(strategies["jobs"], old)
	old.ResourceVersion = "1"
	obj := old.DeepCopy()
	obj.Spec.Parallelism = workload.Ptr[int32](5)
	obj.Status = batchv1.JobStatus{Succeeded: 2, Active: -1}
	st := strategies["jobs"].(rest.StatusStrategy)
	st.PrepareForStatusUpdate(obj, old)
	if *obj.Spec.Parallelism != 1 || obj.Status.Succeeded != 2 {
		t.Errorf("status update: spec %+v status %+v", obj.Spec, obj.Status)
	}
	wt.Expect(t, st.ValidateStatusUpdate(obj, old), "status.active: Invalid value")
	if f := strategies["jobs"].(rest.FieldsStrategy).SelectableFields(obj); f["status.successful"] != "2" || f["metadata.name"] != "pi" {
		t.Errorf("fields %v", f)
	}
}

func cronJob(mutate func(*batchv1.CronJob)) *batchv1.CronJob {
	cj := &batchv1.CronJob{ObjectMeta: wt.Meta("nightly"), Spec: batchv1.CronJobSpec{
		Schedule:    "0 3 * * *",
		JobTemplate: batchv1.JobTemplateSpec{Spec: job(nil).Spec},
	}}
	if mutate != nil {
		mutate(cj)
	}
	return cj
}

func TestCronJobDefaults(t *testing.T) {
	cj := cronJob(nil)
	wt.Expect(t, wt.Create(strategies["cronjobs"], cj))
	s := cj.Spec
	if s.ConcurrencyPolicy != batchv1.AllowConcurrent || *s.Suspend || *s.SuccessfulJobsHistoryLimit != 3 || *s.FailedJobsHistoryLimit != 1 {
		t.Errorf("defaults %+v", s)
	}
	if s.JobTemplate.Spec.Template.Spec.DNSPolicy != corev1.DNSClusterFirst || s.JobTemplate.Spec.BackoffLimit != nil {
		t.Errorf("job template: want pod defaults only, got %+v", s.JobTemplate.Spec)
	}
}

func TestCronJobValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*batchv1.CronJob)
		want   []string
	}{
		{"valid", nil, nil},
		{"time zone", func(c *batchv1.CronJob) { c.Spec.TimeZone = workload.Ptr("America/New_York") }, nil},
		{"no schedule", func(c *batchv1.CronJob) { c.Spec.Schedule = "" }, []string{"spec.schedule: Required value"}},
		{"bad schedule", func(c *batchv1.CronJob) { c.Spec.Schedule = "0 25 * * *" }, []string{"spec.schedule: Invalid value"}},
		{"TZ in schedule", func(c *batchv1.CronJob) { c.Spec.Schedule = "TZ=UTC 0 3 * * *" }, []string{"spec.schedule: Invalid value"}},
		{"unknown zone", func(c *batchv1.CronJob) { c.Spec.TimeZone = workload.Ptr("Mars/Olympus") }, []string{"spec.timeZone: Invalid value"}},
		{"local zone", func(c *batchv1.CronJob) { c.Spec.TimeZone = workload.Ptr("Local") }, []string{"spec.timeZone: Invalid value"}},
		{"long name", func(c *batchv1.CronJob) { c.Name = strings.Repeat("a", 53) }, []string{"metadata.name: Invalid value"}},
		{"concurrency", func(c *batchv1.CronJob) { c.Spec.ConcurrencyPolicy = "Sometimes" }, []string{"spec.concurrencyPolicy: Unsupported value"}},
		{"negative history", func(c *batchv1.CronJob) { c.Spec.FailedJobsHistoryLimit = workload.Ptr[int32](-1) }, []string{"spec.failedJobsHistoryLimit: Invalid value"}},
		{"template selector", func(c *batchv1.CronJob) {
			c.Spec.JobTemplate.Spec.Selector = &metav1.LabelSelector{}
			c.Spec.JobTemplate.Spec.ManualSelector = workload.Ptr(true)
		}, []string{"spec.jobTemplate.spec.selector: Invalid value", "spec.jobTemplate.spec.manualSelector: Unsupported value"}},
		{"template restart policy", func(c *batchv1.CronJob) { c.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = "" },
			[]string{"spec.jobTemplate.spec.template.spec.restartPolicy: Required value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wt.Expect(t, wt.Create(strategies["cronjobs"], cronJob(c.mutate)), c.want...)
		})
	}
}

func TestCronJobUpdate(t *testing.T) {
	s := strategies["cronjobs"]
	old := cronJob(nil)
	wt.Create(s, old)
	obj := old.DeepCopy()
	obj.Spec.Schedule = "@hourly"
	wt.Expect(t, wt.Update(s, obj, old))
	if obj.Generation != 2 {
		t.Errorf("generation %d", obj.Generation)
	}
	// A schedule stored with TZ= may keep it on update.
	legacy := old.DeepCopy()
	legacy.Spec.Schedule = "TZ=UTC 0 3 * * *"
	obj = legacy.DeepCopy()
	obj.Spec.Suspend = workload.Ptr(true)
	wt.Expect(t, wt.Update(s, obj, legacy))
	obj.Spec.TimeZone = workload.Ptr("UTC")
	wt.Expect(t, wt.Update(s, obj, legacy), "spec.schedule: Invalid value")
}
