// Package scheduling holds the strategies of scheduling.k8s.io.
package scheduling

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

const (
	// HighestUserDefinablePriority caps classes users may create.
	HighestUserDefinablePriority = 1000000000
	// SystemCriticalPriority is the base of the built-in system classes.
	SystemCriticalPriority = 2 * HighestUserDefinablePriority
	systemPrefix           = "system-"
)

// SystemClasses are the only classes whose names may start with "system-",
// with the values Kubernetes gives them.
var SystemClasses = map[string]int32{
	"system-cluster-critical": SystemCriticalPriority,
	"system-node-critical":    SystemCriticalPriority + 1000,
}

var preemptionPolicies = []corev1.PreemptionPolicy{corev1.PreemptLowerPriority, corev1.PreemptNever}

// Strategies returns the strategies of scheduling.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{"priorityclasses": rest.Simple{
		DefaultFn:        defaultClass,
		ValidateFn:       validateClass,
		ValidateUpdateFn: validateClassUpdate,
	}}
}

func defaultClass(obj runtime.Object) {
	pc := obj.(*schedulingv1.PriorityClass)
	if pc.PreemptionPolicy == nil {
		pc.PreemptionPolicy = new(corev1.PreemptLowerPriority)
	}
}

func validateClass(obj runtime.Object) field.ErrorList {
	pc := obj.(*schedulingv1.PriorityClass)
	var errs field.ErrorList
	if strings.HasPrefix(pc.Name, systemPrefix) {
		if msg := systemClassError(pc); msg != "" {
			errs = append(errs, field.Forbidden(field.NewPath("metadata", "name"),
				"priority class names with '"+systemPrefix+"' prefix are reserved for system use only. error: "+msg))
		}
	} else if pc.Value > HighestUserDefinablePriority {
		errs = append(errs, field.Forbidden(field.NewPath("value"),
			fmt.Sprintf("maximum allowed value of a user defined priority is %d", HighestUserDefinablePriority)))
	}
	if p := pc.PreemptionPolicy; p != nil && !slices.Contains(preemptionPolicies, *p) {
		errs = append(errs, field.NotSupported(field.NewPath("preemptionPolicy"), *p, preemptionPolicies))
	}
	return errs
}

// systemClassError says why pc is not one of the built-in system classes.
func systemClassError(pc *schedulingv1.PriorityClass) string {
	value, ok := SystemClasses[pc.Name]
	switch {
	case !ok:
		return fmt.Sprintf("%v is not a known system priority class", pc.Name)
	case pc.Value != value:
		return fmt.Sprintf("value of %v PriorityClass must be %v", pc.Name, value)
	case pc.GlobalDefault:
		return fmt.Sprintf("globalDefault of %v PriorityClass must be false", pc.Name)
	}
	return ""
}

// validateClassUpdate keeps value and preemptionPolicy: running pods
// were admitted with them.
func validateClassUpdate(obj, old runtime.Object) field.ErrorList {
	pc, o := obj.(*schedulingv1.PriorityClass), old.(*schedulingv1.PriorityClass)
	var errs field.ErrorList
	if pc.Value != o.Value {
		errs = append(errs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
	}
	return append(errs, apivalidation.ValidateImmutableField(pc.PreemptionPolicy, o.PreemptionPolicy, field.NewPath("preemptionPolicy"))...)
}
