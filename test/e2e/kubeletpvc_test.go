package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestPersistentVolumeClaim: a pod whose claim is unbound waits in
// ContainerCreating with FailedMount events; once the claim is bound to a
// hostPath PersistentVolume the pod runs and what it writes appears on
// the host; a read-only claim cannot be written.
func TestPersistentVolumeClaim(t *testing.T) {
	const ns = "e2e-pvc"
	c := startStatusCluster(t, ns, nil)
	ctx := context.Background()
	hostDir := t.TempDir()
	claims := c.Client.CoreV1().PersistentVolumeClaims(ns)
	if _, err := claims.Create(ctx, claim("data"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := c.Client.CoreV1().Pods(ns)
	writer := create(t, pods, claimPod("writer", "data", false, "echo from-pod > /data/out"))
	missing := create(t, pods, claimPod("missing", "nope", false, "true"))

	for _, tc := range []struct {
		pod  *corev1.Pod
		want string
	}{{writer, "PVC is not bound"}, {missing, `"nope" not found`}} {
		waitPod(t, c.Client, tc.pod, 60*time.Second, "ContainerCreating", func(p *corev1.Pod) bool {
			cs := p.Status.ContainerStatuses
			return p.Status.Phase == corev1.PodPending && len(cs) == 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "ContainerCreating"
		})
		waitEvent(t, c.Client, ns, tc.pod.Name, "FailedMount", tc.want)
	}

	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-pvc-data"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir}},
			ClaimRef:               &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: ns, Name: "data"},
		},
	}
	if _, err := c.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}) })
	bind(t, c.Client, ns, "data", pv.Name) // skiff has no PV binder: bind as it would

	waitPod(t, c.Client, writer, 60*time.Second, "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	b, err := os.ReadFile(filepath.Join(hostDir, "out"))
	if err != nil || string(b) != "from-pod\n" {
		t.Errorf("host file: %q, %v; want the pod's line", b, err)
	}

	ro := create(t, pods, claimPod("reader", "data", true, "cat /data/out && ! echo x > /data/ro"))
	waitPod(t, c.Client, ro, 60*time.Second, "Succeeded", func(p *corev1.Pod) bool { return isTerminal(p.Status.Phase) })
	if p, _ := pods.Get(ctx, ro.Name, metav1.GetOptions{}); p.Status.Phase != corev1.PodSucceeded {
		t.Errorf("read-only claim: pod %s, want Succeeded (read, not written)", p.Status.Phase)
	}
	if _, err := os.Stat(filepath.Join(hostDir, "ro")); err == nil {
		t.Error("a pod wrote through a read-only claim")
	}
}

func claim(name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
}

// claimPod runs sh -c script with the claim mounted at /data.
func claimPod(name, claimName string, readOnly bool, script string) *corev1.Pod {
	pod := makePod(name, corev1.RestartPolicyNever, "sh", "-c", script)
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName, ReadOnly: readOnly}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	return pod
}

// bind binds a claim to a volume: spec.volumeName, then phase Bound.
func bind(t *testing.T, client kubernetes.Interface, ns, name, volume string) {
	t.Helper()
	ctx := context.Background()
	claims := client.CoreV1().PersistentVolumeClaims(ns)
	pvc, err := claims.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pvc.Spec.VolumeName = volume
	if pvc, err = claims.Update(ctx, pvc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pvc.Status.Phase = corev1.ClaimBound
	if _, err := claims.UpdateStatus(ctx, pvc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitEvent waits for an event of reason on the named object whose
// message contains want.
func waitEvent(t *testing.T, client kubernetes.Interface, ns, name, reason, want string) {
	t.Helper()
	waitFor(t, 60*time.Second, reason+" event for "+name, func() (bool, error) {
		evs, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == reason && strings.Contains(e.Message, want) {
				return true, nil
			}
		}
		return false, nil
	})
}

func isTerminal(p corev1.PodPhase) bool { return p == corev1.PodSucceeded || p == corev1.PodFailed }
