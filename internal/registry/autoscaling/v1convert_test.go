package autoscaling

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func v2HPA() *autoscalingv2.HorizontalPodAutoscaler {
	q := resource.MustParse("100")
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Annotations: map[string]string{"keep": "me"}},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "apps/v1"},
			MinReplicas:    new(int32(2)), MaxReplicas: 10,
			Metrics: []autoscalingv2.MetricSpec{
				cpuUtilization(60),
				{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "qps"},
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q},
				}},
			},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: new(int32(30))}},
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{
			CurrentReplicas: 3, DesiredReplicas: 4,
			CurrentMetrics: []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
				Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: new(int32(75)), AverageValue: new(resource.MustParse("150m"))},
			}}},
			Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "ReadyForNewScale"}},
		},
	}
	h.SetGroupVersionKind(autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"))
	return h
}

// v2 → v1 keeps the CPU target in v1's fields and the rest in
// annotations; v1 → v2 restores every field.
func TestV1RoundTrip(t *testing.T) {
	in := v2HPA()
	v1, err := ToV1(in)
	if err != nil {
		t.Fatal(err)
	}
	if *v1.Spec.TargetCPUUtilizationPercentage != 60 || *v1.Status.CurrentCPUUtilizationPercentage != 75 {
		t.Errorf("v1 cpu fields: %v %v", v1.Spec.TargetCPUUtilizationPercentage, v1.Status.CurrentCPUUtilizationPercentage)
	}
	for _, a := range append(v1Annotations, "keep") {
		if _, ok := v1.Annotations[a]; !ok {
			t.Errorf("v1 lacks annotation %s: %v", a, v1.Annotations)
		}
	}
	back, err := FromV1(v1)
	if err != nil {
		t.Fatal(err)
	}
	// v1 lists the other metrics before the CPU target, as Kubernetes' conversion does.
	want := in.DeepCopy()
	want.Spec.Metrics = []autoscalingv2.MetricSpec{in.Spec.Metrics[1], in.Spec.Metrics[0]}
	if !equality.Semantic.DeepEqual(want, back) {
		t.Errorf("round trip (-want +got):\n%s", cmp.Diff(want, back))
	}
}

func TestFromV1Defaults(t *testing.T) {
	plain := &autoscalingv1.HorizontalPodAutoscaler{Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 3}}
	got, err := FromV1(plain)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]autoscalingv2.MetricSpec{cpuUtilization(80)}, got.Spec.Metrics); diff != "" {
		t.Errorf("implied metric (-want +got):\n%s", diff)
	}
	plain.Annotations = map[string]string{metricsAnnotation: "{"}
	if errs := (v1Strategy{hpaStrategy}).Validate(plain); len(errs) != 1 || errs[0].Field != "metadata.annotations" {
		t.Errorf("bad annotation: %v", errs)
	}
}
