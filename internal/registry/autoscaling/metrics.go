package autoscaling

import (
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	metricTypes = []autoscalingv2.MetricSourceType{
		autoscalingv2.ObjectMetricSourceType, autoscalingv2.PodsMetricSourceType, autoscalingv2.ResourceMetricSourceType,
		autoscalingv2.ExternalMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType,
	}
	targetTypes = []autoscalingv2.MetricTargetType{autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType}
)

// metricSource is one source field of a metric: its type, its JSON name
// and whether it is set.
type metricSource struct {
	typ  autoscalingv2.MetricSourceType
	name string
	set  bool
}

func sources(m *autoscalingv2.MetricSpec) []metricSource {
	return []metricSource{
		{autoscalingv2.ObjectMetricSourceType, "object", m.Object != nil},
		{autoscalingv2.PodsMetricSourceType, "pods", m.Pods != nil},
		{autoscalingv2.ResourceMetricSourceType, "resource", m.Resource != nil},
		{autoscalingv2.ContainerResourceMetricSourceType, "containerResource", m.ContainerResource != nil},
		{autoscalingv2.ExternalMetricSourceType, "external", m.External != nil},
	}
}

// validateMetric checks that exactly the source its type names is set and
// that the source is valid.
func validateMetric(m *autoscalingv2.MetricSpec, p *field.Path) field.ErrorList {
	if m.Type == "" {
		return field.ErrorList{field.Required(p.Child("type"), "must specify a metric source type")}
	}
	if !slices.Contains(metricTypes, m.Type) {
		return field.ErrorList{field.NotSupported(p.Child("type"), m.Type, metricTypes)}
	}
	var errs field.ErrorList
	for _, s := range sources(m) {
		switch {
		case s.typ == m.Type && !s.set:
			errs = append(errs, field.Required(p.Child(s.name), "must populate information for the given metric source"))
		case s.typ != m.Type && s.set:
			errs = append(errs, field.Forbidden(p.Child(s.name), "must populate the given metric source only"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return validateSource(m, p)
}

func validateSource(m *autoscalingv2.MetricSpec, p *field.Path) field.ErrorList {
	switch m.Type {
	case autoscalingv2.ObjectMetricSourceType:
		sp := p.Child("object")
		errs := validateObjectRef(&m.Object.DescribedObject, sp.Child("describedObject"))
		errs = append(errs, validateIdentifier(&m.Object.Metric, sp.Child("metric"))...)
		return append(errs, validateTarget(&m.Object.Target, sp.Child("target"), false, "must set either a target value or averageValue")...)
	case autoscalingv2.PodsMetricSourceType:
		sp := p.Child("pods")
		errs := validateIdentifier(&m.Pods.Metric, sp.Child("metric"))
		errs = append(errs, validateTarget(&m.Pods.Target, sp.Child("target"), false, "")...)
		if m.Pods.Target.AverageValue == nil {
			errs = append(errs, field.Required(sp.Child("target", "averageValue"), "must specify a positive target averageValue"))
		}
		return errs
	case autoscalingv2.ResourceMetricSourceType:
		return validateResource(m.Resource.Name, nil, &m.Resource.Target, p.Child("resource"))
	case autoscalingv2.ContainerResourceMetricSourceType:
		c := m.ContainerResource
		return validateResource(c.Name, &c.Container, &c.Target, p.Child("containerResource"))
	}
	sp := p.Child("external")
	errs := validateIdentifier(&m.External.Metric, sp.Child("metric"))
	return append(errs, validateTarget(&m.External.Target, sp.Child("target"), false, "must set either a target value for metric or a per-pod target")...)
}

// validateResource checks a resource source, or a container resource
// source when container is not nil.
func validateResource(name corev1.ResourceName, container *string, t *autoscalingv2.MetricTarget, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), "must specify a resource name"))
	}
	if container != nil {
		if *container == "" {
			errs = append(errs, field.Required(p.Child("container"), "must specify a container"))
		} else {
			errs = append(errs, containerNameErrors(*container, p.Child("container"))...)
		}
	}
	return append(errs, validateTarget(t, p.Child("target"), true, "")...)
}

func containerNameErrors(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func validateIdentifier(id *autoscalingv2.MetricIdentifier, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if id.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "must specify a metric name"))
	}
	if id.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(id.Selector, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
	}
	return errs
}

// validateTarget checks a metric target. resource targets take an
// average utilization or value, never both; others need a value or an
// average value (missingMsg, when not empty).
func validateTarget(t *autoscalingv2.MetricTarget, p *field.Path, resource bool, missingMsg string) field.ErrorList {
	var errs field.ErrorList
	switch {
	case t.Type == "":
		errs = append(errs, field.Required(p.Child("type"), "must specify a metric target type"))
	case !slices.Contains(targetTypes, t.Type):
		errs = append(errs, field.NotSupported(p.Child("type"), t.Type, targetTypes))
	}
	if t.Value != nil && t.Value.Sign() != 1 {
		errs = append(errs, field.Invalid(p.Child("value"), t.Value.String(), "must be positive"))
	}
	if t.AverageValue != nil && t.AverageValue.Sign() != 1 {
		errs = append(errs, field.Invalid(p.Child("averageValue"), t.AverageValue.String(), "must be positive"))
	}
	if u := t.AverageUtilization; u != nil && *u < 1 {
		errs = append(errs, field.Invalid(p.Child("averageUtilization"), *u, "must be greater than 0"))
	}
	switch {
	case resource && t.AverageUtilization == nil && t.AverageValue == nil:
		errs = append(errs, field.Required(p.Child("averageUtilization"), "must set either a target raw value or a target utilization"))
	case resource && t.AverageUtilization != nil && t.AverageValue != nil:
		errs = append(errs, field.Forbidden(p.Child("averageValue"), "may not set both a target raw value and a target utilization"))
	case !resource && missingMsg != "" && t.Value == nil && t.AverageValue == nil:
		errs = append(errs, field.Required(p.Child("averageValue"), missingMsg))
	}
	return errs
}
