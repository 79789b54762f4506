package fake

import (
	"context"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Stats are zero usage stamped now: fake containers use nothing, and a
// stats consumer still sees every running container and sandbox.

// ContainerStats implements RuntimeServiceClient.
func (r *Runtime) ContainerStats(_ context.Context, in *runtimeapi.ContainerStatsRequest, _ ...grpc.CallOption) (*runtimeapi.ContainerStatsResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.container(in.ContainerId)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerStatsResponse{Stats: r.containerStats(c)}, nil
}

// ListContainerStats implements RuntimeServiceClient for the running
// containers.
func (r *Runtime) ListContainerStats(_ context.Context, in *runtimeapi.ListContainerStatsRequest, _ ...grpc.CallOption) (*runtimeapi.ListContainerStatsResponse, error) {
	f := in.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &runtimeapi.ListContainerStatsResponse{}
	for _, c := range r.containers {
		r.settle(c)
		switch {
		case c.state != runtimeapi.ContainerState_CONTAINER_RUNNING,
			f.GetId() != "" && f.Id != c.id,
			f.GetPodSandboxId() != "" && f.PodSandboxId != c.sandboxID,
			!labelsMatch(c.config.Labels, f.GetLabelSelector()):
			continue
		}
		out.Stats = append(out.Stats, r.containerStats(c))
	}
	return out, nil
}

// containerStats are c's zero stats; callers hold mu.
func (r *Runtime) containerStats(c *container) *runtimeapi.ContainerStats {
	now := r.cfg.Now().UnixNano()
	zero := &runtimeapi.UInt64Value{}
	return &runtimeapi.ContainerStats{
		Attributes:    &runtimeapi.ContainerAttributes{Id: c.id, Metadata: c.config.Metadata, Labels: c.config.Labels, Annotations: c.config.Annotations},
		Cpu:           &runtimeapi.CpuUsage{Timestamp: now, UsageCoreNanoSeconds: zero, UsageNanoCores: zero},
		Memory:        &runtimeapi.MemoryUsage{Timestamp: now, WorkingSetBytes: zero, UsageBytes: zero, RssBytes: zero},
		WritableLayer: &runtimeapi.FilesystemUsage{Timestamp: now, FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: "/fake/containers"}, UsedBytes: zero, InodesUsed: zero},
	}
}

// PodSandboxStats implements RuntimeServiceClient.
func (r *Runtime) PodSandboxStats(_ context.Context, in *runtimeapi.PodSandboxStatsRequest, _ ...grpc.CallOption) (*runtimeapi.PodSandboxStatsResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, err := r.sandbox(in.PodSandboxId)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PodSandboxStatsResponse{Stats: r.sandboxStats(sb)}, nil
}

// ListPodSandboxStats implements RuntimeServiceClient for the ready
// sandboxes.
func (r *Runtime) ListPodSandboxStats(_ context.Context, in *runtimeapi.ListPodSandboxStatsRequest, _ ...grpc.CallOption) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	f := in.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &runtimeapi.ListPodSandboxStatsResponse{}
	for _, sb := range r.sandboxes {
		if sb.state != runtimeapi.PodSandboxState_SANDBOX_READY || (f.GetId() != "" && f.Id != sb.id) || !labelsMatch(sb.config.Labels, f.GetLabelSelector()) {
			continue
		}
		out.Stats = append(out.Stats, r.sandboxStats(sb))
	}
	return out, nil
}

// sandboxStats are sb's zero stats with its running containers';
// callers hold mu.
func (r *Runtime) sandboxStats(sb *sandbox) *runtimeapi.PodSandboxStats {
	now := r.cfg.Now().UnixNano()
	zero := &runtimeapi.UInt64Value{}
	linux := &runtimeapi.LinuxPodSandboxStats{
		Cpu:     &runtimeapi.CpuUsage{Timestamp: now, UsageCoreNanoSeconds: zero, UsageNanoCores: zero},
		Memory:  &runtimeapi.MemoryUsage{Timestamp: now, WorkingSetBytes: zero, UsageBytes: zero, RssBytes: zero},
		Network: &runtimeapi.NetworkUsage{Timestamp: now},
		Process: &runtimeapi.ProcessUsage{Timestamp: now, ProcessCount: zero},
	}
	for _, c := range r.containers {
		if c.sandboxID == sb.id && c.state == runtimeapi.ContainerState_CONTAINER_RUNNING {
			linux.Containers = append(linux.Containers, r.containerStats(c))
		}
	}
	return &runtimeapi.PodSandboxStats{
		Attributes: &runtimeapi.PodSandboxAttributes{Id: sb.id, Metadata: sb.config.Metadata, Labels: sb.config.Labels, Annotations: sb.config.Annotations},
		Linux:      linux,
	}
}
