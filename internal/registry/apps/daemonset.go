package apps

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

var daemonSetStrategy = workload.Strategy{
	DefaultFn: defaultDaemonSet,
	PrepareCreateFn: func(obj runtime.Object) {
		ds := obj.(*appsv1.DaemonSet)
		if templateGeneration(ds) < 1 {
			setTemplateGeneration(ds, 1)
		}
	},
	PrepareUpdateFn: func(obj, old runtime.Object) {
		ds, o := obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet)
		gen := templateGeneration(o)
		if !equality.Semantic.DeepEqual(ds.Spec.Template, o.Spec.Template) {
			gen++
		}
		if gen > 0 {
			setTemplateGeneration(ds, gen)
		}
	},
	ValidateFn: validateDaemonSet,
	ValidateUpdateFn: func(obj, old runtime.Object) field.ErrorList {
		return selectorImmutable(obj.(*appsv1.DaemonSet).Spec.Selector, old.(*appsv1.DaemonSet).Spec.Selector)
	},
	ValidateStatusFn: validateDaemonSetStatus,
}

// templateGeneration reads the deprecated template generation annotation,
// which apps/v1 keeps for the old spec.templateGeneration field.
func templateGeneration(ds *appsv1.DaemonSet) int64 {
	n, _ := strconv.ParseInt(ds.Annotations[appsv1.DeprecatedTemplateGeneration], 10, 64)
	return n
}

func setTemplateGeneration(ds *appsv1.DaemonSet, n int64) {
	if ds.Annotations == nil {
		ds.Annotations = map[string]string{}
	}
	ds.Annotations[appsv1.DeprecatedTemplateGeneration] = strconv.FormatInt(n, 10)
}

func defaultDaemonSet(obj runtime.Object) {
	spec := &obj.(*appsv1.DaemonSet).Spec
	us := &spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if us.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if us.RollingUpdate == nil {
			us.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if us.RollingUpdate.MaxUnavailable == nil {
			us.RollingUpdate.MaxUnavailable = workload.Ptr(intstr.FromInt32(1))
		}
		if us.RollingUpdate.MaxSurge == nil {
			us.RollingUpdate.MaxSurge = workload.Ptr(intstr.FromInt32(0))
		}
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = workload.Ptr[int32](10)
	}
	podspec.DefaultPodTemplate(&spec.Template)
}

func validateDaemonSet(obj runtime.Object) field.ErrorList {
	spec := &obj.(*appsv1.DaemonSet).Spec
	errs := validatePods(spec.Selector, &spec.Template, "daemonset", "DaemonSet")
	errs = append(errs, validateSizes(nil, spec.MinReadySeconds, spec.RevisionHistoryLimit)...)
	p := specPath.Child("updateStrategy")
	switch us := spec.UpdateStrategy; us.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		if us.RollingUpdate == nil {
			return append(errs, field.Required(p.Child("rollingUpdate"), ""))
		}
		errs = append(errs, validateDaemonSetRollingUpdate(us.RollingUpdate, p.Child("rollingUpdate"))...)
	default:
		errs = append(errs, field.NotSupported(p.Child("type"), us.Type, []appsv1.DaemonSetUpdateStrategyType{appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType}))
	}
	return errs
}

// validateDaemonSetRollingUpdate wants exactly one of maxUnavailable and
// maxSurge non-zero: a node runs at most one surge pod.
func validateDaemonSetRollingUpdate(ru *appsv1.RollingUpdateDaemonSet, p *field.Path) field.ErrorList {
	unavailable, surge := p.Child("maxUnavailable"), p.Child("maxSurge")
	errs := workload.ValidateIntOrPercent(ru.MaxUnavailable, unavailable)
	errs = append(errs, workload.ValidateIntOrPercent(ru.MaxSurge, surge)...)
	errs = append(errs, workload.NotAbove100Percent(ru.MaxUnavailable, unavailable)...)
	errs = append(errs, workload.NotAbove100Percent(ru.MaxSurge, surge)...)
	u, _ := workload.IntOrPercentValue(ru.MaxUnavailable)
	s, _ := workload.IntOrPercentValue(ru.MaxSurge)
	switch {
	case u != 0 && s != 0:
		errs = append(errs, field.Invalid(surge, ru.MaxSurge, "may not be set when maxUnavailable is non-zero"))
	case u == 0 && s == 0:
		errs = append(errs, field.Required(unavailable, "cannot be 0 when maxSurge is 0"))
	}
	return errs
}

func validateDaemonSetStatus(obj, old runtime.Object) field.ErrorList {
	st, oldSt := &obj.(*appsv1.DaemonSet).Status, &old.(*appsv1.DaemonSet).Status
	errs := workload.NonNegativeCounts(statusPath,
		workload.C("currentNumberScheduled", st.CurrentNumberScheduled), workload.C("numberMisscheduled", st.NumberMisscheduled),
		workload.C("desiredNumberScheduled", st.DesiredNumberScheduled), workload.C("numberReady", st.NumberReady),
		workload.C("observedGeneration", st.ObservedGeneration), workload.C("updatedNumberScheduled", st.UpdatedNumberScheduled),
		workload.C("numberAvailable", st.NumberAvailable), workload.C("numberUnavailable", st.NumberUnavailable))
	errs = append(errs, workload.NonNegative(st.CollisionCount, statusPath.Child("collisionCount"))...)
	return append(errs, workload.NotDecremented(st.CollisionCount, oldSt.CollisionCount, statusPath.Child("collisionCount"))...)
}
