package resourcequota

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func rl(kv ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return l
}

func TestPodResources(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		Containers: []corev1.Container{
			{Resources: corev1.ResourceRequirements{Requests: rl("cpu", "100m", "memory", "64Mi")}},
			{Resources: corev1.ResourceRequirements{Requests: rl("cpu", "200m")}},
		},
		InitContainers: []corev1.Container{
			{Resources: corev1.ResourceRequirements{Requests: rl("cpu", "1", "memory", "32Mi")}},
			{RestartPolicy: &always, Resources: corev1.ResourceRequirements{Requests: rl("cpu", "50m")}},
		},
		Overhead: rl("cpu", "10m"),
	}}
	got := PodResources(pod, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Requests })
	// containers+sidecar = 350m < init step 1 → 1 + 10m overhead.
	if q := got[corev1.ResourceCPU]; q.Cmp(resource.MustParse("1010m")) != 0 {
		t.Errorf("cpu = %s, want 1010m", q.String())
	}
	if q := got[corev1.ResourceMemory]; q.Cmp(resource.MustParse("64Mi")) != 0 {
		t.Errorf("memory = %s, want 64Mi", q.String())
	}
}

func TestUsed(t *testing.T) {
	now := time.Now()
	grace := int64(1)
	past := metav1.NewTime(now.Add(-time.Minute))
	running := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Resources: corev1.ResourceRequirements{
		Requests: rl("cpu", "250m", "memory", "1Gi"), Limits: rl("cpu", "500m"),
	}}}}}
	done := running.DeepCopy()
	done.Status.Phase = corev1.PodSucceeded
	gone := running.DeepCopy()
	gone.DeletionTimestamp, gone.DeletionGracePeriodSeconds = &past, &grace
	lbOff := false
	objs := Objects{
		Pods: []*corev1.Pod{running, running.DeepCopy(), done, gone},
		Services: []*corev1.Service{
			{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}},
			{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{}, {}}}},
			{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{}}}},
			{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: &lbOff, Ports: []corev1.ServicePort{{}}}},
		},
		ConfigMaps: []*corev1.ConfigMap{{}, {}},
		Secrets:    []*corev1.Secret{{}},
	}
	hard := rl("pods", "10", "count/pods", "10", "services", "9", "count/configmaps", "9", "secrets", "9",
		"services.nodeports", "9", "services.loadbalancers", "9", "persistentvolumeclaims", "9",
		"requests.cpu", "4", "cpu", "4", "requests.memory", "8Gi", "memory", "8Gi", "limits.cpu", "4", "limits.memory", "8Gi",
		"example.com/gpu", "1")
	want := rl("pods", "2", "count/pods", "2", "services", "4", "count/configmaps", "2", "secrets", "1",
		"services.nodeports", "3", "services.loadbalancers", "2", "persistentvolumeclaims", "0",
		"requests.cpu", "500m", "cpu", "500m", "requests.memory", "2Gi", "memory", "2Gi", "limits.cpu", "1", "limits.memory", "0")
	got := Used(hard, objs, now)
	if len(got) != len(want) {
		t.Errorf("used has %d entries, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g.Cmp(w) != 0 {
			t.Errorf("used[%s] = %s, want %s", k, g.String(), w.String())
		}
	}
}
