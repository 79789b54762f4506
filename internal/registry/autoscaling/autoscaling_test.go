package autoscaling_test

import (
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/skiff-sh/skiff/internal/registry/autoscaling"
	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
	wt "github.com/skiff-sh/skiff/internal/registry/workload/workloadtest"
)

var strategy = autoscaling.Strategies()["horizontalpodautoscalers"]

func hpa(mutate func(*autoscalingv2.HorizontalPodAutoscaler)) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: wt.Meta("web"), Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
		MaxReplicas:    5,
	}}
	if mutate != nil {
		mutate(h)
	}
	return h
}

func TestDefaults(t *testing.T) {
	h := hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) {
		h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: workload.Ptr[int32](60)}}
	})
	wt.Expect(t, wt.Create(strategy, h))
	if *h.Spec.MinReplicas != 1 || len(h.Spec.Metrics) != 1 {
		t.Fatalf("defaults %+v", h.Spec)
	}
	m := h.Spec.Metrics[0]
	if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource.Name != corev1.ResourceCPU || *m.Resource.Target.AverageUtilization != 80 {
		t.Errorf("default metric %+v", m.Resource)
	}
	up, down := h.Spec.Behavior.ScaleUp, h.Spec.Behavior.ScaleDown
	if *up.StabilizationWindowSeconds != 0 || len(up.Policies) != 2 || *up.SelectPolicy != autoscalingv2.MaxChangePolicySelect {
		t.Errorf("scale up %+v", up)
	}
	if *down.StabilizationWindowSeconds != 60 || len(down.Policies) != 1 || down.Policies[0].Value != 100 {
		t.Errorf("scale down %+v", down)
	}
	if none := hpa(nil); wt.Create(strategy, none) != nil || none.Spec.Behavior != nil {
		t.Errorf("behavior defaulted when unset: %+v", none.Spec.Behavior)
	}
}

func metric(m autoscalingv2.MetricSpec) func(*autoscalingv2.HorizontalPodAutoscaler) {
	return func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.Metrics = []autoscalingv2.MetricSpec{m} }
}

func TestValidate(t *testing.T) {
	q := resource.MustParse("100m")
	cases := []struct {
		name   string
		mutate func(*autoscalingv2.HorizontalPodAutoscaler)
		want   []string
	}{
		{"valid", nil, nil},
		{"no target", func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{}
		},
			[]string{"spec.scaleTargetRef.kind: Required value", "spec.scaleTargetRef.name: Required value"}},
		{"bad target name", func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.Name = "a/b" }, []string{"spec.scaleTargetRef.name: Invalid value"}},
		{"min zero", func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MinReplicas = workload.Ptr[int32](0) }, []string{"spec.minReplicas: Invalid value"}},
		{"max zero", func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 0 }, []string{"spec.maxReplicas: Invalid value"}},
		{"max below min", func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MinReplicas = workload.Ptr[int32](6) }, []string{"spec.maxReplicas: Invalid value"}},
		{"no metric type", metric(autoscalingv2.MetricSpec{}), []string{"spec.metrics[0].type: Required value"}},
		{"bad metric type", metric(autoscalingv2.MetricSpec{Type: "Magic"}), []string{"spec.metrics[0].type: Unsupported value"}},
		{"missing source", metric(autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType}), []string{"spec.metrics[0].pods: Required value"}},
		{"extra source", metric(autoscalingv2.MetricSpec{
			Type:     autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: workload.Ptr[int32](50)}},
			External: &autoscalingv2.ExternalMetricSource{},
		}), []string{"spec.metrics[0].external: Forbidden"}},
		{"resource without target", metric(autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType}},
		}), []string{"spec.metrics[0].resource.target.averageUtilization: Required value"}},
		{"container resource", metric(autoscalingv2.MetricSpec{
			Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q},
			},
		}), []string{"spec.metrics[0].containerResource.container: Required value"}},
		{"pods", metric(autoscalingv2.MetricSpec{
			Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "qps"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q},
			},
		}), nil},
		{"external without value", metric(autoscalingv2.MetricSpec{
			Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType}},
		}), []string{"spec.metrics[0].external.metric.name: Required value", "spec.metrics[0].external.target.averageValue: Required value"}},
		{"object", metric(autoscalingv2.MetricSpec{
			Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
				DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Ingress"}, Metric: autoscalingv2.MetricIdentifier{Name: "rps"},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: workload.Ptr(resource.MustParse("-1"))},
			},
		}), []string{"spec.metrics[0].object.describedObject.name: Required value", "spec.metrics[0].object.target.value: Invalid value"}},
		{"behavior", func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &autoscalingv2.HPAScalingRules{
				StabilizationWindowSeconds: workload.Ptr[int32](4000), SelectPolicy: workload.Ptr(autoscalingv2.ScalingPolicySelect("Any")),
				Policies: []autoscalingv2.HPAScalingPolicy{{Type: "Nodes", Value: 0, PeriodSeconds: 2000}},
			}}
		}, []string{
			"spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value", "spec.behavior.scaleUp.selectPolicy: Unsupported value",
			"spec.behavior.scaleUp.policies[0].type: Unsupported value", "spec.behavior.scaleUp.policies[0].value: Invalid value",
			"spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value",
		}},
		{"empty policies", func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{}}}
		}, []string{"spec.behavior.scaleDown.policies: Required value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wt.Expect(t, wt.Create(strategy, hpa(c.mutate)), c.want...)
		})
	}
}

func TestStatus(t *testing.T) {
	old := hpa(nil)
	wt.Create(strategy, old)
	obj := old.DeepCopy()
	obj.Spec.MaxReplicas = 9
	obj.Status.DesiredReplicas = -1
	s := strategy.(rest.StatusStrategy)
	s.PrepareForStatusUpdate(obj, old)
	old.ResourceVersion, obj.ResourceVersion = "1", "1"
	if obj.Spec.MaxReplicas != 5 {
		t.Errorf("status update changed spec: %+v", obj.Spec)
	}
	wt.Expect(t, s.ValidateStatusUpdate(obj, old), "status.desiredReplicas: Invalid value")

	upd := old.DeepCopy()
	upd.Spec.MaxReplicas = 7
	wt.Expect(t, wt.Update(strategy, upd, old))
	if upd.Generation != 2 {
		t.Errorf("generation %d", upd.Generation)
	}
}
