package apps

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

var deploymentStrategy = workload.Strategy{
	DefaultFn: defaultDeployment,
	// Annotations count too: the controller copies them to replica sets.
	GenerationFn: func(obj runtime.Object) any {
		d := obj.(*appsv1.Deployment)
		return []any{d.Spec, d.Annotations}
	},
	ValidateFn: validateDeployment,
	ValidateUpdateFn: func(obj, old runtime.Object) field.ErrorList {
		return selectorImmutable(obj.(*appsv1.Deployment).Spec.Selector, old.(*appsv1.Deployment).Spec.Selector)
	},
	ValidateStatusFn: validateDeploymentStatus,
}

func defaultDeployment(obj runtime.Object) {
	spec := &obj.(*appsv1.Deployment).Spec
	if spec.Replicas == nil {
		spec.Replicas = workload.Ptr[int32](1)
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		ru := spec.Strategy.RollingUpdate
		if ru == nil {
			ru = &appsv1.RollingUpdateDeployment{}
			spec.Strategy.RollingUpdate = ru
		}
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = workload.Ptr(intstr.FromString("25%"))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = workload.Ptr(intstr.FromString("25%"))
		}
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = workload.Ptr[int32](10)
	}
	if spec.ProgressDeadlineSeconds == nil {
		spec.ProgressDeadlineSeconds = workload.Ptr[int32](600)
	}
	podspec.DefaultPodTemplate(&spec.Template)
}

func validateDeployment(obj runtime.Object) field.ErrorList {
	spec := &obj.(*appsv1.Deployment).Spec
	errs := validatePods(spec.Selector, &spec.Template, "deployment", "ReplicaSet")
	errs = append(errs, validateSizes(spec.Replicas, spec.MinReadySeconds, spec.RevisionHistoryLimit)...)
	errs = append(errs, validateDeploymentStrategy(&spec.Strategy, specPath.Child("strategy"))...)
	if d := spec.ProgressDeadlineSeconds; d != nil {
		p := specPath.Child("progressDeadlineSeconds")
		errs = append(errs, workload.NonNegative(d, p)...)
		if *d <= spec.MinReadySeconds {
			errs = append(errs, field.Invalid(p, *d, "must be greater than minReadySeconds"))
		}
	}
	return errs
}

func validateDeploymentStrategy(s *appsv1.DeploymentStrategy, p *field.Path) field.ErrorList {
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			return field.ErrorList{field.Forbidden(p.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")}
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if s.RollingUpdate == nil {
			return field.ErrorList{field.Required(p.Child("rollingUpdate"), "this should be defaulted and never be nil")}
		}
		return validateRollingUpdate(s.RollingUpdate, p.Child("rollingUpdate"))
	default:
		return field.ErrorList{field.NotSupported(p.Child("type"), s.Type, []appsv1.DeploymentStrategyType{appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType})}
	}
	return nil
}

func validateRollingUpdate(ru *appsv1.RollingUpdateDeployment, p *field.Path) field.ErrorList {
	unavailable, surge := p.Child("maxUnavailable"), p.Child("maxSurge")
	errs := workload.ValidateIntOrPercent(ru.MaxUnavailable, unavailable)
	errs = append(errs, workload.ValidateIntOrPercent(ru.MaxSurge, surge)...)
	u, _ := workload.IntOrPercentValue(ru.MaxUnavailable)
	s, _ := workload.IntOrPercentValue(ru.MaxSurge)
	if u == 0 && s == 0 {
		errs = append(errs, field.Invalid(unavailable, ru.MaxUnavailable, "may not be 0 when `maxSurge` is 0"))
	}
	return append(errs, workload.NotAbove100Percent(ru.MaxUnavailable, unavailable)...)
}

func validateDeploymentStatus(obj, old runtime.Object) field.ErrorList {
	st, oldSt := &obj.(*appsv1.Deployment).Status, &old.(*appsv1.Deployment).Status
	errs := workload.NonNegativeCounts(statusPath,
		workload.C("observedGeneration", st.ObservedGeneration), workload.C("replicas", st.Replicas),
		workload.C("updatedReplicas", st.UpdatedReplicas), workload.C("readyReplicas", st.ReadyReplicas),
		workload.C("availableReplicas", st.AvailableReplicas), workload.C("unavailableReplicas", st.UnavailableReplicas))
	errs = append(errs, workload.NonNegative(st.TerminatingReplicas, statusPath.Child("terminatingReplicas"))...)
	errs = append(errs, workload.NonNegative(st.CollisionCount, statusPath.Child("collisionCount"))...)
	errs = append(errs, workload.AtMost(statusPath, int64(st.Replicas), aboveReplicas,
		workload.C("updatedReplicas", st.UpdatedReplicas), workload.C("readyReplicas", st.ReadyReplicas),
		workload.C("availableReplicas", st.AvailableReplicas))...)
	errs = append(errs, workload.AtMost(statusPath, int64(st.ReadyReplicas), aboveReady, workload.C("availableReplicas", st.AvailableReplicas))...)
	return append(errs, workload.NotDecremented(st.CollisionCount, oldSt.CollisionCount, statusPath.Child("collisionCount"))...)
}
