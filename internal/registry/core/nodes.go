package core

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
)

func nodeStrategy() object[*corev1.Node] {
	return object[*corev1.Node]{
		defaults: defaultNode,
		// Kubelets register nodes with their status, so create keeps it.
		create:         func(n *corev1.Node) { n.Spec.ConfigSource = nil; n.Status.Config = nil },
		keepStatus:     func(n, old *corev1.Node) { n.Status = old.Status },
		keepSpec:       func(n, old *corev1.Node) { n.Spec = old.Spec },
		validate:       validateNode,
		validateUpdate: validateNodeUpdate,
		validateStatus: func(n, _ *corev1.Node) field.ErrorList { return validateNode(n) },
		fields: func(n *corev1.Node) fields.Set {
			return fields.Set{"spec.unschedulable": strconv.FormatBool(n.Spec.Unschedulable)}
		},
	}
}

// defaultNode keeps podCIDR and podCIDRs[0] in step, as the v1
// conversion does, and makes allocatable default to capacity.
func defaultNode(n *corev1.Node) {
	switch {
	case n.Spec.PodCIDR != "" && len(n.Spec.PodCIDRs) == 0:
		n.Spec.PodCIDRs = []string{n.Spec.PodCIDR}
	case n.Spec.PodCIDR == "" && len(n.Spec.PodCIDRs) > 0:
		n.Spec.PodCIDR = n.Spec.PodCIDRs[0]
	}
	if n.Status.Allocatable == nil && n.Status.Capacity != nil {
		n.Status.Allocatable = n.Status.Capacity.DeepCopy()
	}
}

func validateNode(n *corev1.Node) field.ErrorList {
	errs := validateTaints(n.Spec.Taints, specPath.Child("taints"))
	cp := specPath.Child("podCIDRs")
	if len(n.Spec.PodCIDRs) > 0 && n.Spec.PodCIDR != n.Spec.PodCIDRs[0] {
		errs = append(errs, field.Invalid(specPath.Child("podCIDR"), n.Spec.PodCIDR, "must match the first entry of `podCIDRs`"))
	}
	if len(n.Spec.PodCIDRs) > 2 {
		errs = append(errs, field.Invalid(cp, n.Spec.PodCIDRs, "may specify no more than one CIDR for each IP family"))
	}
	for i, c := range n.Spec.PodCIDRs {
		errs = append(errs, validation.IsValidCIDR(cp.Index(i), c)...)
	}
	sp := field.NewPath("status")
	errs = append(errs, validateResourceList(n.Status.Capacity, podspec.ValidateResourceName, sp.Child("capacity"))...)
	errs = append(errs, validateResourceList(n.Status.Allocatable, podspec.ValidateResourceName, sp.Child("allocatable"))...)
	return errs
}

// validateTaints checks node taints: qualified keys, label-like values,
// a known effect and no two taints with the same key and effect.
func validateTaints(taints []corev1.Taint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, t := range taints {
		ip := p.Index(i)
		errs = append(errs, metavalidation.ValidateLabelName(t.Key, ip.Child("key"))...)
		for _, msg := range content.IsLabelValue(t.Value) {
			errs = append(errs, field.Invalid(ip.Child("value"), t.Value, msg))
		}
		errs = append(errs, podspec.ValidateTaintEffect(t.Effect, ip.Child("effect"))...)
		key := t.Key + "\x00" + string(t.Effect)
		if seen.Has(key) {
			errs = append(errs, field.Duplicate(ip, t))
		}
		seen.Insert(key)
	}
	return errs
}

// validateNodeUpdate lets podCIDRs and providerID be set once, from empty.
func validateNodeUpdate(n, old *corev1.Node) field.ErrorList {
	var errs field.ErrorList
	if len(old.Spec.PodCIDRs) > 0 && !slicesEqual(n.Spec.PodCIDRs, old.Spec.PodCIDRs) {
		errs = append(errs, field.Forbidden(specPath.Child("podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	if old.Spec.ProviderID != "" && n.Spec.ProviderID != old.Spec.ProviderID {
		errs = append(errs, field.Forbidden(specPath.Child("providerID"), "node updates may not change providerID except from \"\" to valid"))
	}
	return errs
}
