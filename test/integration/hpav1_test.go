package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// TestHPAV1 serves autoscaling/v1 beside the stored, preferred v2: one
// object read and written through both versions, converted as
// Kubernetes converts (the CPU target in v1's field, other metrics in
// annotations).
func TestHPAV1(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	v1 := c.Client.AutoscalingV1().HorizontalPodAutoscalers("default")
	v2 := c.Client.AutoscalingV2().HorizontalPodAutoscalers("default")
	ref := autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "apps/v1"}

	created, err := v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: autoscalingv1.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: ref, MaxReplicas: 5, TargetCPUUtilizationPercentage: new(int32(50)),
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *created.Spec.MinReplicas != 1 || *created.Spec.TargetCPUUtilizationPercentage != 50 {
		t.Errorf("v1 create: %+v", created.Spec)
	}
	got, err := v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := got.Spec.Metrics; len(m) != 1 || m[0].Resource == nil || *m[0].Resource.Target.AverageUtilization != 50 || len(got.Annotations) != 0 {
		t.Errorf("v2 view of a v1 object: %+v %v", got.Spec.Metrics, got.Annotations)
	}

	// A v2 metric v1 has no field for survives a v1 update.
	q := resource.MustParse("10")
	got.Spec.Metrics = append(got.Spec.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: "qps"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q},
	}})
	if _, err := v2.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	old, err := v1.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var other []autoscalingv1.MetricSpec
	if err := json.Unmarshal([]byte(old.Annotations["autoscaling.alpha.kubernetes.io/metrics"]), &other); err != nil || len(other) != 1 || other[0].Pods.MetricName != "qps" {
		t.Fatalf("v1 metrics annotation: %v %v", err, old.Annotations)
	}
	old.Spec.MaxReplicas = 7
	if _, err := v1.Update(ctx, old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err = v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil || got.Spec.MaxReplicas != 7 || len(got.Spec.Metrics) != 2 || len(got.Annotations) != 0 {
		t.Errorf("v2 after a v1 update: %v %+v %v", err, got.Spec, got.Annotations)
	}
	list, err := v1.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Items[0].APIVersion != "" && list.Items[0].APIVersion != "autoscaling/v1" {
		t.Errorf("v1 list: %v %+v", err, list)
	}

	g, err := c.Client.Discovery().ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, grp := range g.Groups {
		if grp.Name == "autoscaling" && (grp.PreferredVersion.Version != "v2" || len(grp.Versions) != 2) {
			t.Errorf("autoscaling discovery: %+v", grp)
		}
	}
	k := newKubectl(t, c)
	out := k.must("get", "hpa.v1.autoscaling")
	if !strings.Contains(out, "REFERENCE") || !strings.Contains(out, "Deployment/web") {
		t.Errorf("kubectl get hpa.v1.autoscaling:\n%s", out)
	}
	manifest := filepath.Join(t.TempDir(), "hpa.yaml")
	if err := os.WriteFile(manifest, []byte(hpaV1Manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"apply", "-f", manifest}, {"apply", "--server-side", "-f", manifest}} {
		k.must(args...)
	}
	applied, err := v2.Get(ctx, "api", metav1.GetOptions{})
	if err != nil || *applied.Spec.Metrics[0].Resource.Target.AverageUtilization != 70 {
		t.Errorf("applied v1 manifest: %v %+v", err, applied)
	}
}

const hpaV1Manifest = `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: api
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  maxReplicas: 4
  targetCPUUtilizationPercentage: 70
`
