package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPodLifecycle covers what TestKubelet and TestStreaming leave out:
// containers sharing a volume and localhost, growing restart delays,
// graceful termination with preStop, and the pod's /etc/hostname through
// the real kubectl. Pod traffic stays on the pod's own loopback.
func TestPodLifecycle(t *testing.T) {
	c, k := startKubectlNode(t, "e2e-podlifecycle")
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-podlifecycle"}}
	pods := c.Client.CoreV1().Pods(ns.Name)

	t.Run("init container, two containers sharing an emptyDir and localhost", func(t *testing.T) {
		pod := create(t, pods, sharedPod())
		waitPod(t, c.Client, pod, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
		// The client fetches, over the pod's localhost, what the init
		// container wrote and the web container serves from the volume.
		var got string
		waitFor(t, 30*time.Second, "the web container answering on localhost", func() (bool, error) {
			out, err := k.command(ctx, "exec", "shared", "-c", "client", "--", "wget", "-qO-", "http://127.0.0.1:8080/index.html").Output()
			got = string(out)
			return err == nil, nil
		})
		if got != "from-init\n" {
			t.Errorf("client fetched %q, want the init container's file", got)
		}
		k.run("", "exec", "shared", "-c", "client", "--", "sh", "-c", "echo from-client > /data/client.txt")
		if got := k.run("", "exec", "shared", "-c", "web", "--", "cat", "/data/client.txt"); got != "from-client\n" {
			t.Errorf("web container reads %q from the shared volume", got)
		}
	})

	t.Run("kubectl exec -- cat /etc/hostname", func(t *testing.T) {
		pod := create(t, pods, makePod("named-host", corev1.RestartPolicyAlways, "sleep", "3600"))
		waitPod(t, c.Client, pod, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
		if got := k.run("", "exec", "named-host", "--", "cat", "/etc/hostname"); got != "named-host\n" {
			t.Errorf("/etc/hostname = %q, want the pod's name", got)
		}
	})

	t.Run("CrashLoopBackOff with growing restart delays", func(t *testing.T) {
		pod := create(t, pods, makePod("backoff", corev1.RestartPolicyAlways, "sh", "-c", "exit 1"))
		// Each attempt's start and finish, by container ID, from the
		// statuses seen; four attempts give three restart delays.
		attempts := map[string]*corev1.ContainerStateTerminated{}
		waitPod(t, c.Client, pod, 2*time.Minute, "four attempts", func(p *corev1.Pod) bool {
			for _, cs := range p.Status.ContainerStatuses {
				for _, term := range []*corev1.ContainerStateTerminated{cs.State.Terminated, cs.LastTerminationState.Terminated} {
					if term != nil && term.ContainerID != "" {
						attempts[term.ContainerID] = term
					}
				}
			}
			return len(attempts) >= 4
		})
		delays := restartDelays(attempts)
		t.Logf("restart delays: %v", delays)
		// The first restart is immediate, then 10 s, then 20 s: each
		// delay is longer than the one before.
		for i := 1; i < len(delays); i++ {
			if delays[i] <= delays[i-1] {
				t.Errorf("restart delays %v do not grow", delays)
			}
		}
		waitPod(t, c.Client, pod, 30*time.Second, "CrashLoopBackOff", func(p *corev1.Pod) bool {
			cs := p.Status.ContainerStatuses
			return len(cs) == 1 && cs[0].RestartCount >= 3 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "CrashLoopBackOff"
		})
	})

	t.Run("graceful termination runs preStop and respects the grace period", func(t *testing.T) {
		const grace = 5
		hostDir := t.TempDir()
		pod := create(t, pods, gracefulPod(hostDir, grace))
		waitPod(t, c.Client, pod, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
		start := time.Now()
		if err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "pod object gone", func() (bool, error) {
			_, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		took := time.Since(start)
		t.Logf("deletion with a %ds grace period took %s", grace, took.Round(time.Millisecond))
		// The container ignores SIGTERM, so only SIGKILL at the end of
		// the grace period stops it: never before.
		if took < grace*time.Second {
			t.Errorf("pod gone after %s, before its %ds grace period", took, grace)
		}
		b, err := os.ReadFile(filepath.Join(hostDir, "events"))
		if err != nil {
			t.Fatal(err)
		}
		events := strings.Fields(string(b))
		preStop, term := slices.Index(events, "prestop"), slices.Index(events, "term")
		if preStop < 0 || term < 0 || preStop > term {
			t.Fatalf("want prestop, then term; events: %v", events)
		}
		if slices.Index(events[term:], "tick") < 0 {
			t.Errorf("the container stopped at SIGTERM instead of running to the grace period: %v", events[term:])
		}
	})
}

// sharedPod's init container writes the page the web container serves
// from an emptyDir on localhost; the client container shares both.
func sharedPod() *corev1.Pod {
	pod := makePod("shared", corev1.RestartPolicyAlways, "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/data")
	mount := []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	web := &pod.Spec.Containers[0]
	web.Name, web.VolumeMounts = "web", mount
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "client", Image: busyboxImage,
		ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep", "3600"}, VolumeMounts: mount})
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Image: busyboxImage, ImagePullPolicy: corev1.PullIfNotPresent,
		Command: []string{"sh", "-c", "echo from-init > /data/index.html"}, VolumeMounts: mount}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	return pod
}

// gracefulPod logs to hostDir/events: its preStop hook writes "prestop",
// its SIGTERM trap "term" (and carries on), and its loop "tick".
func gracefulPod(hostDir string, grace int64) *corev1.Pod {
	pod := makePod("graceful", corev1.RestartPolicyAlways, "sh", "-c",
		`trap 'echo term >> /h/events' TERM; while true; do echo tick >> /h/events; sleep 0.2; done`)
	pod.Spec.TerminationGracePeriodSeconds = &grace
	main := &pod.Spec.Containers[0]
	main.VolumeMounts = []corev1.VolumeMount{{Name: "h", MountPath: "/h"}}
	main.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
		Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "echo prestop >> /h/events; sleep 1"}},
	}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir}}}}
	return pod
}

// restartDelays orders attempts by start and returns the time between
// each one's finish and the next one's start.
func restartDelays(attempts map[string]*corev1.ContainerStateTerminated) []time.Duration {
	var ts []*corev1.ContainerStateTerminated
	for _, a := range attempts {
		ts = append(ts, a)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].StartedAt.Before(&ts[j].StartedAt) })
	var out []time.Duration
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].StartedAt.Sub(ts[i-1].FinishedAt.Time))
	}
	return out
}
