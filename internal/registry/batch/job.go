package batch

import (
	"maps"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// The unprefixed labels the job controller has always set on its pods.
const (
	legacyJobNameLabel       = "job-name"
	legacyControllerUIDLabel = "controller-uid"
)

var jobBase = workload.Strategy{
	DefaultFn: func(obj runtime.Object) {
		j := obj.(*batchv1.Job)
		defaultJobSpec(&j.Spec)
		labelsFromTemplate(j)
	},
	PrepareCreateFn:  prepareJob,
	ValidateFn:       validateJob,
	ValidateCreateFn: validateGeneratedSelector,
	ValidateUpdateFn: validateJobUpdate,
	ValidateStatusFn: validateJobStatus,
}

// jobStrategy adds status.successful to the selectable fields.
type jobStrategy struct{ workload.Strategy }

var _ rest.FieldsStrategy = jobStrategy{}

// SelectableFields returns metadata.name, metadata.namespace and status.successful.
func (jobStrategy) SelectableFields(obj runtime.Object) fields.Set {
	return workload.SelectableFields(obj, "status.successful", strconv.Itoa(int(obj.(*batchv1.Job).Status.Succeeded)))
}

// labelsFromTemplate gives a job without labels its pods' labels.
func labelsFromTemplate(j *batchv1.Job) {
	if len(j.Labels) == 0 && len(j.Spec.Template.Labels) > 0 {
		j.Labels = maps.Clone(j.Spec.Template.Labels)
	}
}

// prepareJob generates the selector unless the client manages it. The uid
// is already set: the store fills it before the strategy runs.
func prepareJob(obj runtime.Object) {
	j := obj.(*batchv1.Job)
	if j.Spec.ManualSelector != nil && *j.Spec.ManualSelector {
		return
	}
	t := &j.Spec.Template
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	for _, kv := range generatedLabels(j) {
		// A conflicting value set by the client fails validation.
		if _, ok := t.Labels[kv[0]]; !ok {
			t.Labels[kv[0]] = kv[1]
		}
	}
	if j.Spec.Selector == nil {
		j.Spec.Selector = &metav1.LabelSelector{}
	}
	if j.Spec.Selector.MatchLabels == nil {
		j.Spec.Selector.MatchLabels = map[string]string{}
	}
	if _, ok := j.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel]; !ok {
		j.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] = string(j.UID)
	}
	labelsFromTemplate(j)
}

func generatedLabels(j *batchv1.Job) [][2]string {
	return [][2]string{
		{batchv1.ControllerUidLabel, string(j.UID)}, {batchv1.JobNameLabel, j.Name},
		{legacyControllerUIDLabel, string(j.UID)}, {legacyJobNameLabel, j.Name},
	}
}

func validateJob(obj runtime.Object) field.ErrorList {
	spec := &obj.(*batchv1.Job).Spec
	sel, errs := workload.ValidateSelector(spec.Selector, "", specPath.Child("selector"))
	return append(errs, validateJobSpec(spec, sel, specPath)...)
}

// validateGeneratedSelector checks that a generated selector and the pod
// labels it selects were not overridden by the client.
func validateGeneratedSelector(obj runtime.Object) field.ErrorList {
	j := obj.(*batchv1.Job)
	if (j.Spec.ManualSelector != nil && *j.Spec.ManualSelector) || j.Spec.Selector == nil {
		return nil
	}
	var errs field.ErrorList
	lp := specPath.Child("template", "metadata", "labels")
	for _, kv := range generatedLabels(j) {
		switch v, ok := j.Spec.Template.Labels[kv[0]]; {
		case !ok:
			errs = append(errs, field.Required(lp.Key(kv[0]), "must be '"+kv[1]+"'"))
		case v != kv[1]:
			errs = append(errs, field.Invalid(lp.Key(kv[0]), v, "must be '"+kv[1]+"'"))
		}
	}
	want := &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: string(j.UID)}}
	if !equality.Semantic.DeepEqual(j.Spec.Selector, want) {
		errs = append(errs, field.Invalid(specPath.Child("selector"), j.Spec.Selector, "`selector` not auto-generated"))
	}
	return errs
}

// immutableField is a spec field an update may not change.
type immutableField struct {
	name     string
	cur, old any
}

func validateJobUpdate(obj, old runtime.Object) field.ErrorList {
	j, o := obj.(*batchv1.Job), old.(*batchv1.Job)
	spec, prev := &j.Spec, &o.Spec
	immutable := []immutableField{
		{"selector", spec.Selector, prev.Selector},
		{"completionMode", spec.CompletionMode, prev.CompletionMode},
		{"podFailurePolicy", spec.PodFailurePolicy, prev.PodFailurePolicy},
		{"backoffLimitPerIndex", spec.BackoffLimitPerIndex, prev.BackoffLimitPerIndex},
		{"successPolicy", spec.SuccessPolicy, prev.SuccessPolicy},
		{"managedBy", spec.ManagedBy, prev.ManagedBy},
	}
	// Elastic indexed jobs scale completions together with parallelism.
	if !isIndexed(spec) || spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		immutable = append(immutable, immutableField{"completions", spec.Completions, prev.Completions})
	}
	var errs field.ErrorList
	for _, f := range immutable {
		errs = append(errs, apivalidation.ValidateImmutableField(f.cur, f.old, specPath.Child(f.name))...)
	}
	return append(errs, validateTemplateUpdate(j, o)...)
}

// validateTemplateUpdate keeps the pod template, except that a suspended
// job that never started may change its pods' scheduling directives,
// labels and annotations.
func validateTemplateUpdate(j, o *batchv1.Job) field.ErrorList {
	t, prev := j.Spec.Template, &o.Spec.Template
	if o.Spec.Suspend != nil && *o.Spec.Suspend && o.Status.StartTime == nil {
		t.Labels, t.Annotations = prev.Labels, prev.Annotations
		t.Spec.NodeSelector, t.Spec.Affinity = prev.Spec.NodeSelector, prev.Spec.Affinity
		t.Spec.Tolerations, t.Spec.SchedulingGates = prev.Spec.Tolerations, prev.Spec.SchedulingGates
	}
	return apivalidation.ValidateImmutableField(t, *prev, specPath.Child("template"))
}

func validateJobStatus(obj, _ runtime.Object) field.ErrorList {
	st := &obj.(*batchv1.Job).Status
	errs := workload.NonNegativeCounts(statusPath,
		workload.C("active", st.Active), workload.C("succeeded", st.Succeeded), workload.C("failed", st.Failed))
	errs = append(errs, workload.NonNegative(st.Ready, statusPath.Child("ready"))...)
	return append(errs, workload.NonNegative(st.Terminating, statusPath.Child("terminating"))...)
}
