package batch

import (
	"fmt"
	"math"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

const (
	maxParallelismIndexed = 100000
	maxFailurePolicyRules = 20
	maxExitCodeValues     = 255
)

// defaultJobSpec fills a Job's spec as SetDefaults_Job does. A CronJob's
// job template gets pod template defaults only.
func defaultJobSpec(spec *batchv1.JobSpec) {
	// A non-parallel job may leave both unset.
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = workload.Ptr[int32](1)
	}
	if spec.Parallelism == nil {
		spec.Parallelism = workload.Ptr[int32](1)
	}
	if spec.BackoffLimit == nil {
		limit := int32(6)
		if spec.BackoffLimitPerIndex != nil {
			limit = math.MaxInt32
		}
		spec.BackoffLimit = &limit
	}
	if spec.CompletionMode == nil {
		spec.CompletionMode = workload.Ptr(batchv1.NonIndexedCompletion)
	}
	if spec.Suspend == nil {
		spec.Suspend = workload.Ptr(false)
	}
	if spec.PodFailurePolicy != nil {
		defaultFailurePolicy(spec.PodFailurePolicy)
	}
	if spec.PodReplacementPolicy == nil {
		policy := batchv1.TerminatingOrFailed
		if spec.PodFailurePolicy != nil {
			policy = batchv1.Failed
		}
		spec.PodReplacementPolicy = &policy
	}
	podspec.DefaultPodTemplate(&spec.Template)
}

func defaultFailurePolicy(p *batchv1.PodFailurePolicy) {
	for i := range p.Rules {
		for j := range p.Rules[i].OnPodConditions {
			if c := &p.Rules[i].OnPodConditions[j]; c.Status == "" {
				c.Status = corev1.ConditionTrue
			}
		}
	}
}

// validateJobSpec checks a job spec; sel is the job's parsed selector, nil
// in a CronJob's job template.
func validateJobSpec(spec *batchv1.JobSpec, sel labels.Selector, p *field.Path) field.ErrorList {
	errs := workload.NonNegative(spec.Parallelism, p.Child("parallelism"))
	errs = append(errs, workload.NonNegative(spec.Completions, p.Child("completions"))...)
	errs = append(errs, workload.NonNegative(spec.ActiveDeadlineSeconds, p.Child("activeDeadlineSeconds"))...)
	errs = append(errs, workload.NonNegative(spec.BackoffLimit, p.Child("backoffLimit"))...)
	errs = append(errs, workload.NonNegative(spec.TTLSecondsAfterFinished, p.Child("ttlSecondsAfterFinished"))...)
	errs = append(errs, workload.NonNegative(spec.BackoffLimitPerIndex, p.Child("backoffLimitPerIndex"))...)
	errs = append(errs, workload.NonNegative(spec.MaxFailedIndexes, p.Child("maxFailedIndexes"))...)
	errs = append(errs, validateCompletionMode(spec, p)...)
	errs = append(errs, validateFailurePolicy(spec, p)...)
	errs = append(errs, validateReplacementPolicy(spec, p)...)
	errs = append(errs, workload.ValidateTemplate(&spec.Template, sel, p.Child("template"))...)
	return append(errs, validateJobRestartPolicy(spec, p.Child("template", "spec", "restartPolicy"))...)
}

func isIndexed(spec *batchv1.JobSpec) bool {
	return spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion
}

func validateCompletionMode(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	indexed := isIndexed(spec)
	if m := spec.CompletionMode; m != nil && !indexed && *m != batchv1.NonIndexedCompletion {
		errs = append(errs, field.NotSupported(p.Child("completionMode"), *m, []batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
	}
	if spec.BackoffLimitPerIndex != nil && !indexed {
		errs = append(errs, field.Forbidden(p.Child("backoffLimitPerIndex"), "requires indexed completion mode"))
	}
	if spec.MaxFailedIndexes != nil && spec.BackoffLimitPerIndex == nil {
		errs = append(errs, field.Required(p.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
	}
	if spec.SuccessPolicy != nil && !indexed {
		errs = append(errs, field.Invalid(p.Child("successPolicy"), spec.SuccessPolicy, "requires indexed completion mode"))
	}
	if !indexed {
		return errs
	}
	if spec.Completions == nil {
		errs = append(errs, field.Required(p.Child("completions"), "when completion mode is Indexed"))
	}
	if n := spec.Parallelism; n != nil && *n > maxParallelismIndexed {
		errs = append(errs, field.Invalid(p.Child("parallelism"), *n, fmt.Sprintf("must be less than or equal to %d when completion mode is Indexed", maxParallelismIndexed)))
	}
	if c, m := spec.Completions, spec.MaxFailedIndexes; c != nil && m != nil && *m > *c {
		errs = append(errs, field.Invalid(p.Child("maxFailedIndexes"), *m, "must be less than or equal to completions"))
	}
	return errs
}

func validateReplacementPolicy(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	r := spec.PodReplacementPolicy
	if r == nil {
		return nil
	}
	allowed := []batchv1.PodReplacementPolicy{batchv1.TerminatingOrFailed, batchv1.Failed}
	if spec.PodFailurePolicy != nil {
		allowed = allowed[1:]
	}
	if !slices.Contains(allowed, *r) {
		return field.ErrorList{field.NotSupported(p.Child("podReplacementPolicy"), *r, allowed)}
	}
	return nil
}

func validateJobRestartPolicy(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	switch spec.Template.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
	case corev1.RestartPolicyOnFailure:
		if spec.PodFailurePolicy != nil {
			return field.ErrorList{field.Invalid(p, corev1.RestartPolicyOnFailure, `only "Never" is supported when podFailurePolicy is specified`)}
		}
	default:
		return field.ErrorList{field.Required(p, fmt.Sprintf("valid values: %q, %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever))}
	}
	return nil
}

var (
	failureActions    = []batchv1.PodFailurePolicyAction{batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionFailIndex, batchv1.PodFailurePolicyActionIgnore, batchv1.PodFailurePolicyActionCount}
	exitCodeOperators = []batchv1.PodFailurePolicyOnExitCodesOperator{batchv1.PodFailurePolicyOnExitCodesOpIn, batchv1.PodFailurePolicyOnExitCodesOpNotIn}
	conditionStatuses = []corev1.ConditionStatus{corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionUnknown}
)

func validateFailurePolicy(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	if spec.PodFailurePolicy == nil {
		return nil
	}
	rules := spec.PodFailurePolicy.Rules
	rp := p.Child("podFailurePolicy", "rules")
	var errs field.ErrorList
	if len(rules) > maxFailurePolicyRules {
		errs = append(errs, field.TooMany(rp, len(rules), maxFailurePolicyRules))
	}
	for i := range rules {
		errs = append(errs, validateFailureRule(spec, &rules[i], rp.Index(i))...)
	}
	return errs
}

func validateFailureRule(spec *batchv1.JobSpec, r *batchv1.PodFailurePolicyRule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !slices.Contains(failureActions, r.Action) {
		errs = append(errs, field.NotSupported(p.Child("action"), r.Action, failureActions))
	} else if r.Action == batchv1.PodFailurePolicyActionFailIndex && spec.BackoffLimitPerIndex == nil {
		errs = append(errs, field.Forbidden(p.Child("action"), "requires the backoffLimitPerIndex to be set"))
	}
	if (r.OnExitCodes == nil) == (len(r.OnPodConditions) == 0) {
		return append(errs, field.Invalid(p, field.OmitValueType{}, "specifying one of OnExitCodes and OnPodConditions is required"))
	}
	if r.OnExitCodes != nil {
		return append(errs, validateExitCodes(r.OnExitCodes, &spec.Template.Spec, p.Child("onExitCodes"))...)
	}
	for i, c := range r.OnPodConditions {
		cp := p.Child("onPodConditions").Index(i)
		if c.Type == "" {
			errs = append(errs, field.Required(cp.Child("type"), ""))
		}
		if !slices.Contains(conditionStatuses, c.Status) {
			errs = append(errs, field.NotSupported(cp.Child("status"), c.Status, conditionStatuses))
		}
	}
	return errs
}

func validateExitCodes(r *batchv1.PodFailurePolicyOnExitCodesRequirement, pod *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.ContainerName != nil && !hasContainer(pod, *r.ContainerName) {
		errs = append(errs, field.Invalid(p.Child("containerName"), *r.ContainerName, "must be one of the container or initContainer names in the pod template"))
	}
	if !slices.Contains(exitCodeOperators, r.Operator) {
		errs = append(errs, field.NotSupported(p.Child("operator"), r.Operator, exitCodeOperators))
	}
	vp := p.Child("values")
	switch n := len(r.Values); {
	case n == 0:
		errs = append(errs, field.Required(vp, "at least one value is required"))
	case n > maxExitCodeValues:
		errs = append(errs, field.TooMany(vp, n, maxExitCodeValues))
	}
	for i, v := range r.Values {
		switch {
		case r.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && v == 0:
			errs = append(errs, field.Invalid(vp.Index(i), v, "must not be 0 for the In operator"))
		case i > 0 && v == r.Values[i-1]:
			errs = append(errs, field.Duplicate(vp.Index(i), v))
		case i > 0 && v < r.Values[i-1]:
			errs = append(errs, field.Invalid(vp.Index(i), v, "must be ordered"))
		}
	}
	return errs
}

func hasContainer(pod *corev1.PodSpec, name string) bool {
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		if c.Name == name {
			return true
		}
	}
	return false
}
