package batch

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // timeZone must validate on hosts without a zoneinfo database

	batchv1 "k8s.io/api/batch/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// maxCronJobName leaves room for the 11-character suffix of job names.
const maxCronJobName = 52

var cronJobStrategy = workload.Strategy{
	DefaultFn:  defaultCronJob,
	ValidateFn: validateCronJob,
	ValidateCreateFn: func(obj runtime.Object) field.ErrorList {
		cj := obj.(*batchv1.CronJob)
		var errs field.ErrorList
		if len(cj.Name) > maxCronJobName {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), cj.Name, fmt.Sprintf("must be no more than %d characters", maxCronJobName)))
		}
		return append(errs, validateSchedule(&cj.Spec, false)...)
	},
	// A schedule stored with TZ= before timeZone existed may keep it.
	ValidateUpdateFn: func(obj, old runtime.Object) field.ErrorList {
		return validateSchedule(&obj.(*batchv1.CronJob).Spec, strings.Contains(old.(*batchv1.CronJob).Spec.Schedule, "TZ"))
	},
}

func defaultCronJob(obj runtime.Object) {
	spec := &obj.(*batchv1.CronJob).Spec
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if spec.Suspend == nil {
		spec.Suspend = workload.Ptr(false)
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		spec.SuccessfulJobsHistoryLimit = workload.Ptr[int32](3)
	}
	if spec.FailedJobsHistoryLimit == nil {
		spec.FailedJobsHistoryLimit = workload.Ptr[int32](1)
	}
	podspec.DefaultPodTemplate(&spec.JobTemplate.Spec.Template)
}

var concurrencyPolicies = []batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}

func validateCronJob(obj runtime.Object) field.ErrorList {
	spec := &obj.(*batchv1.CronJob).Spec
	var errs field.ErrorList
	switch p := specPath.Child("concurrencyPolicy"); {
	case spec.ConcurrencyPolicy == "":
		errs = append(errs, field.Required(p, ""))
	case !slices.Contains(concurrencyPolicies, spec.ConcurrencyPolicy):
		errs = append(errs, field.NotSupported(p, spec.ConcurrencyPolicy, concurrencyPolicies))
	}
	errs = append(errs, workload.NonNegative(spec.StartingDeadlineSeconds, specPath.Child("startingDeadlineSeconds"))...)
	errs = append(errs, workload.NonNegative(spec.SuccessfulJobsHistoryLimit, specPath.Child("successfulJobsHistoryLimit"))...)
	errs = append(errs, workload.NonNegative(spec.FailedJobsHistoryLimit, specPath.Child("failedJobsHistoryLimit"))...)
	errs = append(errs, validateTimeZone(spec.TimeZone, specPath.Child("timeZone"))...)
	return append(errs, validateJobTemplate(&spec.JobTemplate, specPath.Child("jobTemplate"))...)
}

// validateJobTemplate checks a CronJob's job template: the job controller
// generates each job's selector, so the template may not carry one.
func validateJobTemplate(t *batchv1.JobTemplateSpec, p *field.Path) field.ErrorList {
	mp := p.Child("metadata")
	errs := metav1validation.ValidateLabels(t.Labels, mp.Child("labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, mp.Child("annotations"))...)
	sp := p.Child("spec")
	if t.Spec.Selector != nil {
		errs = append(errs, field.Invalid(sp.Child("selector"), t.Spec.Selector, "`selector` will be auto-generated"))
	}
	if m := t.Spec.ManualSelector; m != nil && *m {
		errs = append(errs, field.NotSupported(sp.Child("manualSelector"), *m, []string{"nil", "false"}))
	}
	return append(errs, validateJobSpec(&t.Spec, nil, sp)...)
}

func validateSchedule(spec *batchv1.CronJobSpec, allowTZ bool) field.ErrorList {
	p := specPath.Child("schedule")
	if spec.Schedule == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	if err := ParseSchedule(spec.Schedule); err != nil {
		errs = append(errs, field.Invalid(p, spec.Schedule, err.Error()))
	}
	hasTZ := strings.Contains(spec.Schedule, "TZ")
	switch {
	case hasTZ && !allowTZ:
		errs = append(errs, field.Invalid(p, spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
	case hasTZ && spec.TimeZone != nil:
		errs = append(errs, field.Invalid(p, spec.Schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
	}
	return errs
}

var timeZonePart = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

// validateTimeZone accepts an explicit IANA time zone name.
func validateTimeZone(tz *string, p *field.Path) field.ErrorList {
	switch {
	case tz == nil:
		return nil
	case *tz == "":
		return field.ErrorList{field.Invalid(p, *tz, "timeZone must be nil or non-empty string")}
	case strings.EqualFold(*tz, "Local"):
		return field.ErrorList{field.Invalid(p, *tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")}
	}
	for _, part := range strings.Split(*tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !timeZonePart.MatchString(part) {
			return field.ErrorList{field.Invalid(p, *tz, "unknown time zone "+*tz)}
		}
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		return field.ErrorList{field.Invalid(p, *tz, err.Error())}
	}
	return nil
}
