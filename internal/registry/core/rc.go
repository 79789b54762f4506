package core

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
)

func rcStrategy() object[*corev1.ReplicationController] {
	return object[*corev1.ReplicationController]{
		namespaced:     true,
		defaults:       defaultRC,
		create:         func(rc *corev1.ReplicationController) { rc.Status = corev1.ReplicationControllerStatus{} },
		spec:           func(rc *corev1.ReplicationController) any { return rc.Spec },
		keepStatus:     func(rc, old *corev1.ReplicationController) { rc.Status = old.Status },
		keepSpec:       func(rc, old *corev1.ReplicationController) { rc.Spec = old.Spec },
		validate:       validateRC,
		validateStatus: func(rc, _ *corev1.ReplicationController) field.ErrorList { return validateRCStatus(&rc.Status) },
		fields: func(rc *corev1.ReplicationController) fields.Set {
			return fields.Set{"status.replicas": itoa(rc.Status.Replicas)}
		},
	}
}

// defaultRC takes selector and labels from the template when unset and
// runs one replica by default.
func defaultRC(rc *corev1.ReplicationController) {
	if t := rc.Spec.Template; t != nil {
		if len(rc.Spec.Selector) == 0 && t.Labels != nil {
			rc.Spec.Selector = maps.Clone(t.Labels)
		}
		if len(rc.Labels) == 0 && t.Labels != nil {
			rc.Labels = maps.Clone(t.Labels)
		}
		podspec.DefaultPodTemplate(t)
	}
	if rc.Spec.Replicas == nil {
		rc.Spec.Replicas = ptr(int32(1))
	}
}

func validateRC(rc *corev1.ReplicationController) field.ErrorList {
	spec := &rc.Spec
	errs := nonNegative(int64(spec.MinReadySeconds), specPath.Child("minReadySeconds"))
	if len(spec.Selector) == 0 {
		errs = append(errs, field.Required(specPath.Child("selector"), ""))
	}
	if spec.Replicas != nil {
		errs = append(errs, nonNegative(int64(*spec.Replicas), specPath.Child("replicas"))...)
	}
	return append(errs, validateRCTemplate(spec.Template, spec.Selector, specPath.Child("template"))...)
}

// validateRCTemplate requires a template whose labels the selector
// matches and whose pods restart always.
func validateRCTemplate(t *corev1.PodTemplateSpec, selector map[string]string, p *field.Path) field.ErrorList {
	if t == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	if sel := labels.SelectorFromSet(selector); !sel.Empty() && !sel.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(p.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, podspec.ValidatePodTemplate(t, p)...)
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(p.Child("spec", "restartPolicy"), t.Spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(p.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicationController is not Supported"))
	}
	return errs
}

// validateRCStatus checks the counts are consistent with one another.
func validateRCStatus(st *corev1.ReplicationControllerStatus) field.ErrorList {
	sp := field.NewPath("status")
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    int64
	}{{"replicas", int64(st.Replicas)}, {"fullyLabeledReplicas", int64(st.FullyLabeledReplicas)}, {"readyReplicas", int64(st.ReadyReplicas)}, {"availableReplicas", int64(st.AvailableReplicas)}, {"observedGeneration", st.ObservedGeneration}} {
		errs = append(errs, nonNegative(c.v, sp.Child(c.name))...)
	}
	over := func(name string, v, max int32, msg string) {
		if v > max {
			errs = append(errs, field.Invalid(sp.Child(name), v, msg))
		}
	}
	over("fullyLabeledReplicas", st.FullyLabeledReplicas, st.Replicas, "cannot be greater than status.replicas")
	over("readyReplicas", st.ReadyReplicas, st.Replicas, "cannot be greater than status.replicas")
	over("availableReplicas", st.AvailableReplicas, st.Replicas, "cannot be greater than status.replicas")
	over("availableReplicas", st.AvailableReplicas, st.ReadyReplicas, "cannot be greater than readyReplicas")
	return errs
}
