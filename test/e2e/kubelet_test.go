package e2e

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// TestKubelet runs real pods on one agent: none of them sends traffic.
func TestKubelet(t *testing.T) {
	requireNode(t)
	c := testcluster.Start(t)
	n := startNode(t, c, "e2e-node")
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-kubelet"}}
	createNamespace(t, c, ns.Name)
	pods := c.Client.CoreV1().Pods(ns.Name)

	t.Run("running and ready, then deleted", func(t *testing.T) {
		start := time.Now()
		pod := create(t, pods, makePod("sleeper", corev1.RestartPolicyAlways, "sleep", "3600"))
		var got *corev1.Pod
		waitPod(t, c.Client, pod, 60*time.Second, "Running and Ready with an IP", func(p *corev1.Pod) bool {
			got = p
			return p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && podReady(p)
		})
		t.Logf("pod start latency (create → Ready seen): %s; podIP %s", time.Since(start).Round(time.Millisecond), got.Status.PodIP)
		if cs := got.Status.ContainerStatuses; len(cs) != 1 || !cs[0].Ready || cs[0].State.Running == nil {
			t.Errorf("container status: %+v", cs)
		}
		if len(n.containersOf(t, string(pod.UID))) == 0 {
			t.Fatal("no container in the runtime")
		}
		start = time.Now()
		if err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "pod object gone", func() (bool, error) {
			_, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		t.Logf("pod deletion took %s", time.Since(start).Round(time.Millisecond))
		if cs := n.containersOf(t, string(pod.UID)); len(cs) != 0 {
			t.Errorf("containers left after deletion: %d", len(cs))
		}
	})

	t.Run("init container first, then app", func(t *testing.T) {
		pod := makePod("with-init", corev1.RestartPolicyAlways, "sleep", "3600")
		pod.Spec.InitContainers = []corev1.Container{{Name: "init", Image: busyboxImage, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sh", "-c", "exit 0"}}}
		pod = create(t, pods, pod)
		var got *corev1.Pod
		waitPod(t, c.Client, pod, 60*time.Second, "Running and Ready after its init container", func(p *corev1.Pod) bool {
			got = p
			return p.Status.Phase == corev1.PodRunning && podReady(p)
		})
		ics := got.Status.InitContainerStatuses
		if len(ics) != 1 || ics[0].State.Terminated == nil || ics[0].State.Terminated.Reason != "Completed" {
			t.Errorf("init container status: %+v", ics)
		}
	})

	t.Run("restartPolicy Never, exit 3: Failed", func(t *testing.T) {
		pod := create(t, pods, makePod("exit3", corev1.RestartPolicyNever, "sh", "-c", "exit 3"))
		var got *corev1.Pod
		waitPod(t, c.Client, pod, 60*time.Second, "Failed", func(p *corev1.Pod) bool {
			got = p
			return p.Status.Phase == corev1.PodFailed
		})
		cs := got.Status.ContainerStatuses
		if len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].State.Terminated.ExitCode != 3 || cs[0].State.Terminated.Reason != "Error" {
			t.Errorf("container status: %+v", cs)
		}
	})

	t.Run("restartPolicy Always, crashing: CrashLoopBackOff", func(t *testing.T) {
		pod := create(t, pods, makePod("crasher", corev1.RestartPolicyAlways, "sh", "-c", "exit 1"))
		var got *corev1.Pod
		waitPod(t, c.Client, pod, 60*time.Second, "CrashLoopBackOff after a restart", func(p *corev1.Pod) bool {
			got = p
			cs := p.Status.ContainerStatuses
			return len(cs) == 1 && cs[0].RestartCount >= 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "CrashLoopBackOff"
		})
		cs := got.Status.ContainerStatuses[0]
		if cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
			t.Errorf("lastState: %+v", cs.LastTerminationState)
		}
		if got.Status.Phase != corev1.PodRunning {
			t.Errorf("phase %s, want Running", got.Status.Phase)
		}
	})
}

func makePod(name string, policy corev1.RestartPolicy, command ...string) *corev1.Pod {
	grace := int64(2) // sleep as PID 1 ignores SIGTERM: keep deletion short
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName: "e2e-node", RestartPolicy: policy, TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{Name: "main", Image: busyboxImage, ImagePullPolicy: corev1.PullIfNotPresent, Command: command}},
		},
	}
}

func create(t *testing.T, pods podsClient, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	p, err := pods.Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type podsClient interface {
	Create(context.Context, *corev1.Pod, metav1.CreateOptions) (*corev1.Pod, error)
}

// waitPod polls the pod until cond holds; on timeout it logs the last
// status seen.
func waitPod(t *testing.T, client kubernetes.Interface, pod *corev1.Pod, timeout time.Duration, what string, cond func(*corev1.Pod) bool) {
	t.Helper()
	var last *corev1.Pod
	defer func() {
		if t.Failed() && last != nil {
			t.Logf("last status of %s: %+v", pod.Name, last.Status)
		}
	}()
	waitFor(t, timeout, pod.Name+" "+what, func() (bool, error) {
		p, err := client.CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = p
		return cond(p), nil
	})
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
