package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Labels skiff puts on sandboxes and containers, as the Kubernetes
// kubelet does, so the runtime's objects can be traced to their pods.
const (
	labelPodUID       = "io.kubernetes.pod.uid"
	labelPodName      = "io.kubernetes.pod.name"
	labelPodNamespace = "io.kubernetes.pod.namespace"
	labelContainer    = "io.kubernetes.container.name"
)

// podRuntime is a pod's objects in the runtime.
type podRuntime struct {
	// sandboxes, newest first.
	sandboxes []*runtimeapi.PodSandbox
	// containers are every instance, with their sandbox in sandboxOf.
	containers []*runtimeapi.ContainerStatus
	sandboxOf  map[string]string
}

// containersIn returns the instances that belong to one sandbox.
func (rt *podRuntime) containersIn(sandboxID string) []*runtimeapi.ContainerStatus {
	var out []*runtimeapi.ContainerStatus
	for _, c := range rt.containers {
		if rt.sandboxOf[c.Id] == sandboxID {
			out = append(out, c)
		}
	}
	return out
}

// runtimeState lists a pod's sandboxes and containers.
func (k *Kubelet) runtimeState(ctx context.Context, uid types.UID) (*podRuntime, error) {
	sel := map[string]string{labelPodUID: string(uid)}
	sbs, err := k.cfg.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: sel}})
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	cs, err := k.cfg.Runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{LabelSelector: sel}})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	rt := &podRuntime{sandboxes: sbs.Items, sandboxOf: map[string]string{}}
	sort.Slice(rt.sandboxes, func(i, j int) bool { return rt.sandboxes[i].CreatedAt > rt.sandboxes[j].CreatedAt })
	for _, c := range cs.Containers {
		st, err := k.cfg.Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.Id})
		if status.Code(err) == codes.NotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("container status %s: %w", c.Id, err)
		}
		rt.containers = append(rt.containers, st.Status)
		rt.sandboxOf[c.Id] = c.PodSandboxId
	}
	return rt, nil
}

// ensureSandbox returns the pod's ready sandbox, creating one (and
// removing dead ones) when there is none.
func (k *Kubelet) ensureSandbox(ctx context.Context, pod *corev1.Pod, rt *podRuntime) (string, *runtimeapi.PodSandboxConfig, error) {
	var attempt uint32
	for _, sb := range rt.sandboxes {
		if sb.State == runtimeapi.PodSandboxState_SANDBOX_READY {
			cfg, err := k.sandboxConfig(pod, sb.GetMetadata().GetAttempt())
			return sb.Id, cfg, err
		}
		attempt = max(attempt, sb.GetMetadata().GetAttempt()+1)
	}
	for _, sb := range rt.sandboxes {
		if err := k.removeSandbox(ctx, sb.Id); err != nil {
			return "", nil, err
		}
	}
	handler, err := k.runtimeHandler(ctx, pod)
	if err != nil {
		return "", nil, err
	}
	cfg, err := k.sandboxConfig(pod, attempt)
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(cfg.LogDirectory, 0o755); err != nil {
		return "", nil, fmt.Errorf("pod log dir: %w", err)
	}
	resp, err := k.cfg.Runtime.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg, RuntimeHandler: handler})
	if err != nil {
		return "", nil, fmt.Errorf("run sandbox: %w", err)
	}
	return resp.PodSandboxId, cfg, nil
}

func (k *Kubelet) removeSandbox(ctx context.Context, id string) error {
	if _, err := k.cfg.Runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("stop sandbox %s: %w", id, err)
	}
	if _, err := k.cfg.Runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("remove sandbox %s: %w", id, err)
	}
	return nil
}

// stopRunning stops the pod's running containers in parallel, each
// within grace seconds: its preStop hook (when pod is given), then
// SIGTERM and, at the end of the grace period, SIGKILL.
func (k *Kubelet) stopRunning(ctx context.Context, rt *podRuntime, pod *corev1.Pod, grace int64) error {
	var g errgroup.Group
	for _, c := range rt.containers {
		if c.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
			continue
		}
		spec := corev1.Container{Name: c.GetMetadata().GetName()}
		podIP := ""
		if pod != nil {
			spec, podIP = findContainer(pod, spec.Name), pod.Status.PodIP
		}
		g.Go(func() error { return k.stopContainer(ctx, pod, spec, c.Id, grace, podIP) })
	}
	return g.Wait()
}

// runningByName returns the running instance of each container.
func runningByName(cs []*runtimeapi.ContainerStatus) map[string]*runtimeapi.ContainerStatus {
	out := map[string]*runtimeapi.ContainerStatus{}
	for _, c := range cs {
		if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			out[c.GetMetadata().GetName()] = c
		}
	}
	return out
}

// killPod stops the pod's containers within grace seconds (running
// preStop hooks when the pod is known), removes its sandboxes and
// containers, and cleans up what containerd leaves behind, the pod's
// cgroups and log directory, and the pod's volume directories.
func (k *Kubelet) killPod(ctx context.Context, ref podRef, pod *corev1.Pod, grace int64) error {
	rt, err := k.runtimeState(ctx, ref.uid)
	if err != nil {
		return err
	}
	if err := k.stopRunning(ctx, rt, pod, grace); err != nil {
		return err
	}
	for _, sb := range rt.sandboxes {
		if err := k.removeSandbox(ctx, sb.Id); err != nil {
			return err
		}
	}
	for _, c := range rt.containers {
		if _, err := k.cfg.Runtime.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: c.Id}); err != nil && status.Code(err) != codes.NotFound {
			return fmt.Errorf("remove container %s: %w", c.Id, err)
		}
	}
	if len(rt.sandboxes)+len(rt.containers) > 0 {
		k.log.Info("pod killed", "pod", ref, "grace", grace)
	}
	k.removeCgroups(ref.uid)
	if err := os.RemoveAll(k.podLogDir(ref.namespace, ref.name, ref.uid)); err != nil {
		return fmt.Errorf("pod log dir: %w", err)
	}
	if err := k.cleanupPodDir(ref.uid); err != nil {
		return fmt.Errorf("pod dir: %w", err)
	}
	return nil
}

// stopPod stops a finished pod's containers and sandboxes but keeps them
// (and their logs) until the pod is deleted.
func (k *Kubelet) stopPod(ctx context.Context, uid types.UID) error {
	rt, err := k.runtimeState(ctx, uid)
	if err != nil {
		return err
	}
	if err := k.stopRunning(ctx, rt, nil, 0); err != nil {
		return err
	}
	for _, sb := range rt.sandboxes {
		if sb.State != runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		if _, err := k.cfg.Runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			return fmt.Errorf("stop sandbox %s: %w", sb.Id, err)
		}
	}
	return nil
}

// removeCgroups deletes the pod's cgroup directories, which containerd
// leaves behind; missing or busy ones are left alone.
func (k *Kubelet) removeCgroups(uid types.UID) {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, d := range dirs {
		_ = os.Remove(filepath.Join(d, k.podCgroup(uid)))
	}
}

func (k *Kubelet) podCgroup(uid types.UID) string {
	return filepath.Join(k.cfg.CgroupRoot, "pod"+string(uid))
}

func (k *Kubelet) podLogDir(namespace, name string, uid types.UID) string {
	return filepath.Join(k.cfg.LogRoot, namespace+"_"+name+"_"+string(uid))
}
