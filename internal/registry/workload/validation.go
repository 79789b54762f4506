package workload

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
)

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// ValidateSelector checks a required label selector and returns it parsed
// (nil when it is missing or invalid). A non-empty emptyMsg rejects a
// selector that selects everything with that message.
func ValidateSelector(sel *metav1.LabelSelector, emptyMsg string, path *field.Path) (labels.Selector, field.ErrorList) {
	if sel == nil {
		return nil, field.ErrorList{field.Required(path, "")}
	}
	errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, path)
	if emptyMsg != "" && len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		errs = append(errs, field.Invalid(path, sel, emptyMsg))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, field.ErrorList{field.Invalid(path, sel, err.Error())}
	}
	return s, nil
}

// ValidateTemplate checks a workload's pod template: its labels must match
// the selector (when there is one) and the template must be valid.
func ValidateTemplate(t *corev1.PodTemplateSpec, sel labels.Selector, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if sel != nil && !sel.Empty() && !sel.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(path.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	return append(errs, podspec.ValidatePodTemplate(t, path)...)
}

// ValidateLongRunning checks the pod template of a controller whose pods
// run forever: restartPolicy Always and no activeDeadlineSeconds.
func ValidateLongRunning(t *corev1.PodTemplateSpec, kind string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	spec := path.Child("spec")
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(spec.Child("restartPolicy"), t.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(spec.Child("activeDeadlineSeconds"), "activeDeadlineSeconds in "+kind+" is not Supported"))
	}
	return errs
}

// ValidateIntOrPercent checks a non-negative integer or a percentage
// string such as "25%". nil is valid.
func ValidateIntOrPercent(v *intstr.IntOrString, path *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	switch v.Type {
	case intstr.String:
		var errs field.ErrorList
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			errs = append(errs, field.Invalid(path, v, msg))
		}
		return errs
	case intstr.Int:
		return apivalidation.ValidateNonnegativeField(int64(v.IntVal), path)
	}
	return field.ErrorList{field.Invalid(path, v, "must be an integer or percentage (e.g '5%')")}
}

// NotAbove100Percent rejects a percentage above 100%.
func NotAbove100Percent(v *intstr.IntOrString, path *field.Path) field.ErrorList {
	if n, pct := IntOrPercentValue(v); pct && n > 100 {
		return field.ErrorList{field.Invalid(path, v, "must not be greater than 100%")}
	}
	return nil
}

// IntOrPercentValue returns the number an int-or-percent holds and whether
// it is a percentage; nil and malformed values are 0.
func IntOrPercentValue(v *intstr.IntOrString) (int, bool) {
	switch {
	case v == nil:
		return 0, false
	case v.Type == intstr.Int:
		return int(v.IntVal), false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	if err != nil {
		return 0, true
	}
	return n, true
}

// NonNegative checks an optional number.
func NonNegative[T ~int32 | ~int64](v *T, path *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	return apivalidation.ValidateNonnegativeField(int64(*v), path)
}
