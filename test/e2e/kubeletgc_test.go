package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/images"
	"github.com/skiff-sh/skiff/internal/kubelet"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// startGCNode is startStatusCluster that also returns the node, for
// tests that look into its runtime.
func startGCNode(t *testing.T, ns string, configure func(*agent.Config)) (*testcluster.Cluster, *node) {
	t.Helper()
	requireNode(t)
	c := testcluster.Start(t)
	n := startNodeWith(t, c, "e2e-node", configure)
	createNamespace(t, c, ns)
	return c, n
}

// TestContainerGC: dead instances beyond the newest of each container
// are removed with their log files, and the log directories of pods that
// are gone, while the live pod's running container and logs stay.
func TestContainerGC(t *testing.T) {
	const ns = "e2e-gc"
	c, n := startGCNode(t, ns, func(cfg *agent.Config) { cfg.GC.ContainerPeriod = 2 * time.Second })
	pod := create(t, c.Client.CoreV1().Pods(ns), makePod("gc", corev1.RestartPolicyAlways, "sleep", "3600"))
	waitPod(t, c.Client, pod, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	logDir := filepath.Join(n.dataDir, "pods", fmt.Sprintf("%s_%s_%s", ns, pod.Name, pod.UID))
	// Three finished instances of a container "old", as an earlier
	// kubelet could have left behind.
	for attempt := range uint32(3) {
		n.runDeadContainer(t, pod, logDir, attempt)
	}
	ghost := filepath.Join(n.dataDir, "pods", ns+"_ghost_00000000-0000-0000-0000-000000000000")
	if err := os.MkdirAll(filepath.Join(ghost, "main"), 0o755); err != nil {
		t.Fatal(err)
	}

	waitFor(t, 60*time.Second, "dead instances collected", func() (bool, error) {
		return len(n.instancesOf(t, string(pod.UID), "old")) == 1, nil
	})
	left := n.instancesOf(t, string(pod.UID), "old")
	if got := left[0].GetMetadata().GetAttempt(); got != 2 {
		t.Errorf("kept attempt %d of container old, want the newest (2)", got)
	}
	if main := n.instancesOf(t, string(pod.UID), "main"); len(main) != 1 || main[0].State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Errorf("the running container must stay: %v", main)
	}
	for attempt, want := range []bool{false, false, true} {
		_, err := os.Stat(filepath.Join(logDir, "old", fmt.Sprintf("%d.log", attempt)))
		if got := err == nil; got != want {
			t.Errorf("log of attempt %d present %v, want %v", attempt, got, want)
		}
	}
	waitFor(t, 30*time.Second, "the gone pod's log directory removed", func() (bool, error) {
		_, err := os.Stat(ghost)
		return os.IsNotExist(err), nil
	})
	if _, err := os.Stat(logDir); err != nil {
		t.Errorf("the live pod's log directory: %v", err)
	}
}

// runDeadContainer runs one instance of a container "old" that exits at
// once in the pod's sandbox, labelled as the kubelet labels its own.
func (n *node) runDeadContainer(t *testing.T, pod *corev1.Pod, logDir string, attempt uint32) {
	t.Helper()
	ctx := context.Background()
	sbs, err := n.runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
		LabelSelector: map[string]string{"io.kubernetes.pod.uid": string(pod.UID)}, State: &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}}})
	if err != nil || len(sbs.Items) != 1 {
		t.Fatalf("the pod's sandbox: %v %v", sbs, err)
	}
	sb := sbs.Items[0]
	if err := os.MkdirAll(filepath.Join(logDir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"io.kubernetes.pod.uid": string(pod.UID), "io.kubernetes.pod.name": pod.Name,
		"io.kubernetes.pod.namespace": pod.Namespace, "io.kubernetes.container.name": "old"}
	cgroup := filepath.Join("/skiff-e2e", filepath.Base(filepath.Dir(n.dataDir)), "pod"+string(pod.UID))
	resp, err := n.runtime.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
		PodSandboxId: sb.Id,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "old", Attempt: attempt},
			Image:    &runtimeapi.ImageSpec{Image: busyboxImage}, Command: []string{"echo", "done"},
			Labels: labels, LogPath: fmt.Sprintf("old/%d.log", attempt),
		},
		SandboxConfig: &runtimeapi.PodSandboxConfig{Metadata: sb.Metadata, Labels: sb.Labels, LogDirectory: logDir,
			Linux: &runtimeapi.LinuxPodSandboxConfig{CgroupParent: cgroup}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.runtime.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the old container exited", func() (bool, error) {
		st, err := n.runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: resp.ContainerId})
		return err == nil && st.Status.State == runtimeapi.ContainerState_CONTAINER_EXITED, err
	})
}

// instancesOf lists the runtime's instances of one container of a pod.
func (n *node) instancesOf(t *testing.T, uid, name string) []*runtimeapi.Container {
	return slices.DeleteFunc(n.containersOf(t, uid), func(c *runtimeapi.Container) bool { return c.GetMetadata().GetName() != name })
}

// TestImageGC sets the image GC thresholds below the disk's usage
// (high 2 %, low 1 %): the unused image goes, the pinned ones (pause and,
// here, the test image) stay, and since the disk cannot be freed down to
// 1 % the node gets FreeDiskSpaceFailed.
func TestImageGC(t *testing.T) {
	const unused = "skiff.local/unused:e2e"
	c, n := startGCNode(t, "e2e-imagegc", func(cfg *agent.Config) {
		if err := images.WriteBusyboxTar(filepath.Join(cfg.DataDir, "images", "unused.tar"), unused, "sh"); err != nil {
			t.Fatal(err)
		}
		cfg.GC = kubelet.GCPolicy{ImagePeriod: 2 * time.Second, ImageHighThresholdPercent: 2, ImageLowThresholdPercent: 1,
			ImageMinAge: time.Nanosecond, PinnedImages: []string{busyboxImage}}
	})
	waitFor(t, 60*time.Second, "the unused image removed", func() (bool, error) {
		return !slices.Contains(n.imageTags(t), unused), nil
	})
	for _, want := range []string{busyboxImage, images.Pause} {
		if !slices.Contains(n.imageTags(t), want) {
			t.Errorf("pinned image %s was removed", want)
		}
	}
	waitEvent(t, c.Client, "default", "e2e-node", "FreeDiskSpaceFailed", "Failed to garbage collect required amount of images")
}

// imageTags lists the tags of the node's images.
func (n *node) imageTags(t *testing.T) []string {
	resp, err := n.runtime.ListImages(context.Background(), &runtimeapi.ListImagesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, img := range resp.Images {
		out = append(out, img.RepoTags...)
	}
	return out
}
