package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// syncContainers runs init containers one at a time, in order, and then
// every app container; it restarts finished ones as restartPolicy says,
// with back-off. It returns when to look again for a back-off to end
// (0: none pending). Failures are recorded as waiting reasons.
func (k *Kubelet) syncContainers(ctx context.Context, w *worker, f podFacts, sandboxID string, sbCfg *runtimeapi.PodSandboxConfig, rt *podRuntime) time.Duration {
	pod := f.pod
	k.refreshVolumes(ctx, w, f)
	byName := instancesByName(rt.containersIn(sandboxID))
	for _, c := range pod.Spec.InitContainers {
		inst := byName[c.Name]
		if len(inst) == 0 {
			k.startContainer(ctx, w, f, c, 0, sandboxID, sbCfg)
			return 0
		}
		latest := inst[0]
		switch {
		case latest.State != runtimeapi.ContainerState_CONTAINER_EXITED:
			return 0 // running, or being created: wait for it
		case latest.ExitCode == 0:
			continue
		case pod.Spec.RestartPolicy == corev1.RestartPolicyNever:
			return 0 // the pod has failed
		}
		return k.restart(ctx, w, f, c, inst, sandboxID, sbCfg)
	}
	var again time.Duration
	for _, c := range pod.Spec.Containers {
		inst := byName[c.Name]
		if len(inst) == 0 {
			k.startContainer(ctx, w, f, c, 0, sandboxID, sbCfg)
			continue
		}
		latest := inst[0]
		if kind, failed := k.probeFailure(latest.Id); failed && latest.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			k.killForProbe(ctx, pod, c, latest.Id, kind, f.podIP)
			continue // the relist notices the exit and restarts it
		}
		if latest.State != runtimeapi.ContainerState_CONTAINER_EXITED || !shouldRestart(pod.Spec.RestartPolicy, latest.ExitCode) {
			continue
		}
		if d := k.restart(ctx, w, f, c, inst, sandboxID, sbCfg); d > 0 && (again == 0 || d < again) {
			again = d
		}
	}
	return again
}

func shouldRestart(policy corev1.RestartPolicy, exitCode int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

// restart starts the next instance of a finished container once its
// back-off has passed, and removes instances older than the previous
// one. It returns the back-off time left, if any.
func (k *Kubelet) restart(ctx context.Context, w *worker, f podFacts, c corev1.Container, inst []*runtimeapi.ContainerStatus, sandboxID string, sbCfg *runtimeapi.PodSandboxConfig) time.Duration {
	pod, latest := f.pod, inst[0]
	key := string(pod.UID) + "/" + c.Name
	if left := k.backoff.wait(key, time.Unix(0, latest.FinishedAt)); left > 0 {
		w.waiting[c.Name] = waiting{reason: "CrashLoopBackOff",
			message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", left.Round(time.Second), c.Name, pod.Name, pod.Namespace, pod.UID)}
		return left
	}
	for _, old := range inst[1:] {
		if _, err := k.cfg.Runtime.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: old.Id}); err != nil {
			k.log.Warn("remove old container", "pod", w.ref, "container", c.Name, "err", err)
		}
	}
	k.startContainer(ctx, w, f, c, latest.GetMetadata().GetAttempt()+1, sandboxID, sbCfg)
	return 0
}

// startContainer makes the image present, then creates and starts one
// instance and runs its postStart hook; a failure before the start
// becomes the container's waiting reason.
func (k *Kubelet) startContainer(ctx context.Context, w *worker, f podFacts, c corev1.Container, attempt uint32, sandboxID string, sbCfg *runtimeapi.PodSandboxConfig) {
	fail := func(reason string, err error) {
		w.waiting[c.Name] = waiting{reason: reason, message: err.Error()}
		k.log.Warn("start container", "pod", w.ref, "container", c.Name, "reason", reason, "err", err)
	}
	image, err := k.pullImage(ctx, w, f.pod, c)
	if err != nil {
		fail(imageReason(err), err)
		k.recorder.Eventf(f.pod, corev1.EventTypeWarning, "Failed", "Error: %s", imageReason(err))
		return
	}
	cfg, err := k.containerConfig(ctx, f, c, attempt, image, w.volumes)
	if err != nil {
		fail("CreateContainerConfigError", err)
		return
	}
	if err := os.MkdirAll(filepath.Join(sbCfg.LogDirectory, c.Name), 0o755); err != nil {
		fail("CreateContainerError", err)
		return
	}
	resp, err := k.cfg.Runtime.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: sandboxID, Config: cfg, SandboxConfig: sbCfg})
	if err != nil {
		fail("CreateContainerError", err)
		return
	}
	if _, err := k.cfg.Runtime.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		fail("RunContainerError", err)
		return
	}
	delete(w.waiting, c.Name)
	if err := k.postStart(ctx, f.pod, c, resp.ContainerId, f.podIP); err != nil {
		k.log.Warn("start container", "pod", w.ref, "container", c.Name, "err", err)
	}
}

// errImageNeverPull is returned for a missing image whose policy is Never.
var errImageNeverPull = errors.New("image is not present and imagePullPolicy is Never")

// errImagePullBackOff is returned while a failed pull's back-off lasts.
var errImagePullBackOff = errors.New("back-off pulling image")

// pullImage is ensureImage behind a back-off per pod and image, as in
// Kubernetes: after a failed pull the container is ImagePullBackOff
// until 10 s, then 20 s, ... at most 5 min have passed.
func (k *Kubelet) pullImage(ctx context.Context, w *worker, pod *corev1.Pod, c corev1.Container) (string, error) {
	key := string(pod.UID) + "/image/" + c.Image
	if failed, ok := w.pullFailed[c.Image]; ok {
		if k.backoff.wait(key, failed) > 0 {
			k.recorder.Eventf(pod, corev1.EventTypeNormal, "BackOff", "Back-off pulling image %q", c.Image)
			return "", fmt.Errorf("%w %q", errImagePullBackOff, c.Image)
		}
	}
	image, err := k.ensureImage(ctx, c)
	if err != nil && !errors.Is(err, errImageNeverPull) {
		now := k.cfg.Now()
		w.pullFailed[c.Image] = now
		k.backoff.wait(key, now) // starts the back-off at the first failure
		k.recorder.Eventf(pod, corev1.EventTypeWarning, "Failed", "Failed to pull image %q: %v", c.Image, err)
		return "", err
	}
	delete(w.pullFailed, c.Image)
	return image, err
}

// ensureImage applies the container's imagePullPolicy and returns the
// image reference to create the container from.
func (k *Kubelet) ensureImage(ctx context.Context, c corev1.Container) (string, error) {
	switch c.ImagePullPolicy {
	case corev1.PullNever:
		ok, err := k.cfg.Runtime.ImagePresent(ctx, c.Image)
		if err == nil && !ok {
			err = errImageNeverPull
		}
		return c.Image, err
	case corev1.PullAlways:
		resp, err := k.cfg.Runtime.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: c.Image}})
		if err != nil {
			return "", fmt.Errorf("pull %s: %w", c.Image, err)
		}
		return resp.ImageRef, nil
	}
	return k.cfg.Runtime.EnsureImage(ctx, c.Image)
}

func imageReason(err error) string {
	switch {
	case errors.Is(err, errImageNeverPull):
		return "ErrImageNeverPull"
	case errors.Is(err, errImagePullBackOff):
		return "ImagePullBackOff"
	}
	return "ErrImagePull"
}
