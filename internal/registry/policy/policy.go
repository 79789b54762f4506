// Package policy holds the strategy of policy/v1 PodDisruptionBudgets.
package policy

import (
	"slices"

	policyv1 "k8s.io/api/policy/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// Strategies returns the strategies of the policy group.
func Strategies() rest.Strategies {
	return rest.Strategies{"poddisruptionbudgets": pdbStrategy}
}

var (
	specPath   = field.NewPath("spec")
	statusPath = field.NewPath("status")
)

// pdbStrategy: policy/v1 defaults nothing; an unset selector selects no
// pod and an empty one every pod of the namespace.
var pdbStrategy = workload.Strategy{
	ValidateFn:       validatePDB,
	ValidateStatusFn: validatePDBStatus,
}

var evictionPolicies = []policyv1.UnhealthyPodEvictionPolicyType{policyv1.IfHealthyBudget, policyv1.AlwaysAllow}

func validatePDB(obj runtime.Object) field.ErrorList {
	spec := &obj.(*policyv1.PodDisruptionBudget).Spec
	var errs field.ErrorList
	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		errs = append(errs, field.Invalid(specPath, spec, "minAvailable and maxUnavailable cannot be both set"))
	}
	for _, f := range []struct {
		name string
		v    *intstr.IntOrString
	}{{"minAvailable", spec.MinAvailable}, {"maxUnavailable", spec.MaxUnavailable}} {
		errs = append(errs, workload.ValidateIntOrPercent(f.v, specPath.Child(f.name))...)
		errs = append(errs, workload.NotAbove100Percent(f.v, specPath.Child(f.name))...)
	}
	if spec.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, specPath.Child("selector"))...)
	}
	if p := spec.UnhealthyPodEvictionPolicy; p != nil && !slices.Contains(evictionPolicies, *p) {
		errs = append(errs, field.NotSupported(specPath.Child("unhealthyPodEvictionPolicy"), *p, evictionPolicies))
	}
	return errs
}

func validatePDBStatus(obj, _ runtime.Object) field.ErrorList {
	st := &obj.(*policyv1.PodDisruptionBudget).Status
	errs := workload.NonNegativeCounts(statusPath,
		workload.C("observedGeneration", st.ObservedGeneration), workload.C("disruptionsAllowed", st.DisruptionsAllowed),
		workload.C("currentHealthy", st.CurrentHealthy), workload.C("desiredHealthy", st.DesiredHealthy),
		workload.C("expectedPods", st.ExpectedPods))
	return append(errs, metav1validation.ValidateConditions(st.Conditions, statusPath.Child("conditions"))...)
}
