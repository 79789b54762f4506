package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/cri"
)

// kbFloorNamespace labels the floor's sandboxes; no API object has it.
const kbFloorNamespace = "bench-cri-floor"

// criFloor starts n sandboxes one after another, each with one `sleep`
// container, straight through the node's CRI: RunPodSandbox,
// CreateContainer and StartContainer, as the kubelet calls them for a
// pod whose image is present. It returns each start's duration and then
// stops and removes them all.
func criFloor(ctx context.Context, rt *cri.Client, dataDir string, n int, out io.Writer) ([]time.Duration, error) {
	defer removeSandboxes(ctx, rt, map[string]string{"bench": kbFloorNamespace})
	var took []time.Duration
	for i := range n {
		start := time.Now()
		if err := startFloorPod(ctx, rt, dataDir, i); err != nil {
			return took, fmt.Errorf("floor sandbox %d: %w", i, err)
		}
		took = append(took, time.Since(start))
		if (i+1)%25 == 0 {
			fmt.Fprintf(out, "  floor: %d/%d sandboxes\n", i+1, n)
		}
	}
	return took, nil
}

func startFloorPod(ctx context.Context, rt *cri.Client, dataDir string, i int) error {
	name := fmt.Sprintf("floor-%d", i)
	uid := fmt.Sprintf("bench-floor-%d-%d", os.Getpid(), i)
	sb := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Uid: uid, Namespace: kbFloorNamespace},
		Hostname:     name,
		LogDirectory: filepath.Join(dataDir, "floor-logs", uid),
		Labels:       map[string]string{"bench": kbFloorNamespace},
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent: filepath.Join(kbCgroupRoot, "pod"+uid),
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
				Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD,
			}},
		},
	}
	if err := os.MkdirAll(sb.LogDirectory, 0o755); err != nil {
		return err
	}
	run, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: sb})
	if err != nil {
		return err
	}
	c, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
		PodSandboxId: run.PodSandboxId, SandboxConfig: sb,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "main"},
			Image:    &runtimeapi.ImageSpec{Image: kbImage},
			Command:  []string{"sleep", "3600"},
			LogPath:  "main/0.log",
		},
	})
	if err != nil {
		return err
	}
	_, err = rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId})
	return err
}

// removeSandboxes stops and removes every sandbox matching labels (all
// of them when labels is nil), so no container or shim outlives the run.
func removeSandboxes(ctx context.Context, rt *cri.Client, labels map[string]string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: labels}})
	if err != nil {
		return
	}
	for _, sb := range sbs.Items {
		_, _ = rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id})
		_, _ = rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id})
	}
}
