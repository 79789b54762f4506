package podspec

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// immutableSpecMsg is Kubernetes' message for changing a fixed pod field.
const immutableSpecMsg = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// ValidatePodSpecUpdate checks a running pod's spec changes: only images,
// activeDeadlineSeconds (set or lowered), added tolerations and
// terminationGracePeriodSeconds may change.
func ValidatePodSpecUpdate(spec, old *corev1.PodSpec, p *field.Path) field.ErrorList {
	if len(spec.Containers) != len(old.Containers) || len(spec.InitContainers) != len(old.InitContainers) {
		return field.ErrorList{field.Forbidden(p.Child("containers"), "pod updates may not add or remove containers")}
	}
	errs := validateDeadlineUpdate(spec.ActiveDeadlineSeconds, old.ActiveDeadlineSeconds, p.Child("activeDeadlineSeconds"))
	errs = append(errs, validateTolerationsUpdate(spec.Tolerations, old.Tolerations, p.Child("tolerations"))...)
	// Compare the spec with every mutable field taken from the new one.
	munged := old.DeepCopy()
	copyImages(munged.Containers, spec.Containers)
	copyImages(munged.InitContainers, spec.InitContainers)
	munged.ActiveDeadlineSeconds = spec.ActiveDeadlineSeconds
	munged.Tolerations = spec.Tolerations
	munged.TerminationGracePeriodSeconds = spec.TerminationGracePeriodSeconds
	if !equality.Semantic.DeepEqual(munged, spec) {
		errs = append(errs, field.Forbidden(p, immutableSpecMsg))
	}
	return errs
}

func copyImages(dst, src []corev1.Container) {
	for i := range dst {
		dst[i].Image = src[i].Image
	}
}

// validateDeadlineUpdate lets activeDeadlineSeconds be set or shortened,
// never lengthened or removed.
func validateDeadlineUpdate(d, old *int64, p *field.Path) field.ErrorList {
	switch {
	case d == nil && old != nil:
		return field.ErrorList{field.Invalid(p, d, "must not update from a positive integer to nil value")}
	case d == nil:
		return nil
	case *d < 0 || *d > math.MaxInt32:
		return field.ErrorList{field.Invalid(p, *d, validation.InclusiveRangeError(0, math.MaxInt32))}
	case old != nil && *d > *old:
		return field.ErrorList{field.Invalid(p, *d, "must be less than or equal to previous value")}
	}
	return nil
}

// validateTolerationsUpdate requires every old toleration to remain, at
// most with a different tolerationSeconds.
func validateTolerationsUpdate(ts, old []corev1.Toleration, p *field.Path) field.ErrorList {
	for _, o := range old {
		found := false
		for _, t := range ts {
			o.TolerationSeconds = t.TolerationSeconds
			if equality.Semantic.DeepEqual(o, t) {
				found = true
				break
			}
		}
		if !found {
			return field.ErrorList{field.Forbidden(p, "existing toleration can not be modified except its tolerationSeconds")}
		}
	}
	return nil
}
