// Package autoscaling holds the strategy of autoscaling/v2
// HorizontalPodAutoscalers.
package autoscaling

import (
	"fmt"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	pathvalidation "k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// Strategies returns the strategies of the autoscaling group.
func Strategies() rest.Strategies {
	return rest.Strategies{"horizontalpodautoscalers": hpaStrategy, V1Key: v1Strategy{hpaStrategy}}
}

var (
	specPath   = field.NewPath("spec")
	statusPath = field.NewPath("status")
)

var hpaStrategy = workload.Strategy{
	DefaultFn:  defaultHPA,
	ValidateFn: validateHPA,
	ValidateStatusFn: func(obj, _ runtime.Object) field.ErrorList {
		st := &obj.(*autoscalingv2.HorizontalPodAutoscaler).Status
		errs := workload.NonNegativeCounts(statusPath, workload.C("currentReplicas", st.CurrentReplicas), workload.C("desiredReplicas", st.DesiredReplicas))
		return append(errs, workload.NonNegative(st.ObservedGeneration, statusPath.Child("observedGeneration"))...)
	},
}

// defaultCPUUtilization is the target when no metric is given.
const defaultCPUUtilization = 80

func defaultHPA(obj runtime.Object) {
	spec := &obj.(*autoscalingv2.HorizontalPodAutoscaler).Spec
	if spec.MinReplicas == nil {
		spec.MinReplicas = workload.Ptr[int32](1)
	}
	if len(spec.Metrics) == 0 {
		spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: workload.Ptr[int32](defaultCPUUtilization)},
			},
		}}
	}
	if b := spec.Behavior; b != nil {
		b.ScaleUp = defaultRules(b.ScaleUp, scaleUpRules())
		b.ScaleDown = defaultRules(b.ScaleDown, scaleDownRules())
	}
}

// scaleUpRules: at most 4 pods or double the pods every 15s, at once.
func scaleUpRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: workload.Ptr[int32](0),
		SelectPolicy:               workload.Ptr(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// scaleDownRules: all surplus pods every 15s; the stabilization window is
// left to the controller's flag.
func scaleDownRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		SelectPolicy: workload.Ptr(autoscalingv2.MaxChangePolicySelect),
		Policies:     []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	}
}

// defaultRules fills the unset parts of r from def.
func defaultRules(r, def *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if r == nil {
		return def
	}
	if r.StabilizationWindowSeconds == nil {
		r.StabilizationWindowSeconds = def.StabilizationWindowSeconds
	}
	if r.SelectPolicy == nil {
		r.SelectPolicy = def.SelectPolicy
	}
	if r.Policies == nil {
		r.Policies = def.Policies
	}
	return r
}

func validateHPA(obj runtime.Object) field.ErrorList {
	spec := &obj.(*autoscalingv2.HorizontalPodAutoscaler).Spec
	errs := validateObjectRef(&spec.ScaleTargetRef, specPath.Child("scaleTargetRef"))
	if m := spec.MinReplicas; m != nil && *m < 1 {
		errs = append(errs, field.Invalid(specPath.Child("minReplicas"), *m, "must be greater than or equal to 1"))
	}
	mp := specPath.Child("maxReplicas")
	switch {
	case spec.MaxReplicas < 1:
		errs = append(errs, field.Invalid(mp, spec.MaxReplicas, "must be greater than 0"))
	case spec.MinReplicas != nil && spec.MaxReplicas < *spec.MinReplicas:
		errs = append(errs, field.Invalid(mp, spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	for i := range spec.Metrics {
		errs = append(errs, validateMetric(&spec.Metrics[i], specPath.Child("metrics").Index(i))...)
	}
	if b := spec.Behavior; b != nil {
		bp := specPath.Child("behavior")
		errs = append(errs, validateRules(b.ScaleUp, bp.Child("scaleUp"))...)
		errs = append(errs, validateRules(b.ScaleDown, bp.Child("scaleDown"))...)
	}
	return errs
}

// validateObjectRef checks a kind and name reference.
func validateObjectRef(ref *autoscalingv2.CrossVersionObjectReference, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct{ name, v string }{{"kind", ref.Kind}, {"name", ref.Name}} {
		if f.v == "" {
			errs = append(errs, field.Required(p.Child(f.name), ""))
			continue
		}
		for _, msg := range pathvalidation.IsValidPathSegmentName(f.v) {
			errs = append(errs, field.Invalid(p.Child(f.name), f.v, msg))
		}
	}
	return errs
}

const (
	maxPeriodSeconds        = 1800
	maxStabilizationSeconds = 3600
)

var (
	selectPolicies = []autoscalingv2.ScalingPolicySelect{autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect}
	policyTypes    = []autoscalingv2.HPAScalingPolicyType{autoscalingv2.PodsScalingPolicy, autoscalingv2.PercentScalingPolicy}
)

func validateRules(r *autoscalingv2.HPAScalingRules, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	if w := r.StabilizationWindowSeconds; w != nil && *w < 0 {
		errs = append(errs, field.Invalid(p.Child("stabilizationWindowSeconds"), *w, "must be greater than or equal to zero"))
	} else if w != nil && *w > maxStabilizationSeconds {
		errs = append(errs, field.Invalid(p.Child("stabilizationWindowSeconds"), *w, fmt.Sprintf("must be less than or equal to %d", maxStabilizationSeconds)))
	}
	if s := r.SelectPolicy; s != nil && !slices.Contains(selectPolicies, *s) {
		errs = append(errs, field.NotSupported(p.Child("selectPolicy"), *s, selectPolicies))
	}
	if t := r.Tolerance; t != nil && t.Sign() < 0 {
		errs = append(errs, field.Invalid(p.Child("tolerance"), t.String(), "must be greater than or equal to zero"))
	}
	pp := p.Child("policies")
	if len(r.Policies) == 0 {
		errs = append(errs, field.Required(pp, "must specify at least one Policy"))
	}
	for i, pol := range r.Policies {
		ip := pp.Index(i)
		if !slices.Contains(policyTypes, pol.Type) {
			errs = append(errs, field.NotSupported(ip.Child("type"), pol.Type, policyTypes))
		}
		if pol.Value <= 0 {
			errs = append(errs, field.Invalid(ip.Child("value"), pol.Value, "must be greater than zero"))
		}
		if pol.PeriodSeconds <= 0 {
			errs = append(errs, field.Invalid(ip.Child("periodSeconds"), pol.PeriodSeconds, "must be greater than zero"))
		} else if pol.PeriodSeconds > maxPeriodSeconds {
			errs = append(errs, field.Invalid(ip.Child("periodSeconds"), pol.PeriodSeconds, fmt.Sprintf("must be less than or equal to %d", maxPeriodSeconds)))
		}
	}
	return errs
}
