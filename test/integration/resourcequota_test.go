package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/resourcequota"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestResourceQuotaUsage(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"resourcequota": resourcequota.New}, nil)
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hard := corev1.ResourceList{
		"pods": resource.MustParse("10"), "count/configmaps": resource.MustParse("10"),
		"resourcequotas": resource.MustParse("1"), "requests.cpu": resource.MustParse("2"),
		"limits.memory": resource.MustParse("1Gi"),
	}
	quotas := c.Client.CoreV1().ResourceQuotas("team")
	if _, err := quotas.Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	used := func(want map[corev1.ResourceName]string) func() bool {
		return func() bool {
			q, err := quotas.Get(ctx, "q", metav1.GetOptions{})
			if err != nil || len(q.Status.Hard) != len(hard) || len(q.Status.Used) != len(want) {
				return false
			}
			for k, v := range want {
				if u, ok := q.Status.Used[k]; !ok || u.Cmp(resource.MustParse(v)) != 0 {
					return false
				}
			}
			return true
		}
	}
	// ConfigMaps: the namespace may already hold some (e.g. kube-root-ca.crt
	// when that controller runs); here none run, so zero.
	waitFor(t, used(map[corev1.ResourceName]string{
		"pods": "0", "count/configmaps": "0", "resourcequotas": "1", "requests.cpu": "0", "limits.memory": "0",
	}), "initial usage")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{"cpu": resource.MustParse("250m"), "memory": resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{"cpu": resource.MustParse("500m"), "memory": resource.MustParse("256Mi")},
		}}}},
	}
	if _, err := c.Client.CoreV1().Pods("team").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().ConfigMaps("team").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, used(map[corev1.ResourceName]string{
		"pods": "1", "count/configmaps": "1", "resourcequotas": "1", "requests.cpu": "250m", "limits.memory": "256Mi",
	}), "usage after a pod and a configmap")
}
