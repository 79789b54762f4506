package fake

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// killedExitCode is what a stopped container exits with: 128+SIGKILL.
const killedExitCode = 137

type container struct {
	id, sandboxID string
	config        *runtimeapi.ContainerConfig
	imageRef      string
	logPath       string
	state         runtimeapi.ContainerState
	createdAt     int64
	startedAt     int64
	finishedAt    int64
	exitCode      int32
	// exit is when a running container exits on its own; zero: never.
	exit     time.Time
	exitWith int32
}

// CreateContainer implements RuntimeServiceClient.
func (r *Runtime) CreateContainer(_ context.Context, in *runtimeapi.CreateContainerRequest, _ ...grpc.CallOption) (*runtimeapi.CreateContainerResponse, error) {
	cfg := in.GetConfig()
	if cfg.GetMetadata() == nil || cfg.GetImage() == nil {
		return nil, invalid("container config without metadata or image")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.injected("CreateContainer", cfg.Metadata.Name); err != nil {
		return nil, err
	}
	sb, ok := r.sandboxes[in.PodSandboxId]
	if !ok || sb.state != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, notFound("ready sandbox %s", in.PodSandboxId)
	}
	img, ok := r.image(cfg.Image.Image)
	if !ok {
		return nil, notFound("image %q", cfg.Image.Image)
	}
	c := &container{id: r.newID(), sandboxID: sb.id, config: cfg, imageRef: img.Id,
		state: runtimeapi.ContainerState_CONTAINER_CREATED, createdAt: r.cfg.Now().UnixNano()}
	if cfg.LogPath != "" {
		c.logPath = filepath.Join(sb.config.LogDirectory, cfg.LogPath)
	}
	r.containers[c.id] = c
	return &runtimeapi.CreateContainerResponse{ContainerId: c.id}, nil
}

// StartContainer implements RuntimeServiceClient: after StartLatency the
// container runs until it is stopped or its configured Exit.
func (r *Runtime) StartContainer(ctx context.Context, in *runtimeapi.StartContainerRequest, _ ...grpc.CallOption) (*runtimeapi.StartContainerResponse, error) {
	if err := sleep(ctx, r.cfg.StartLatency); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.container(in.ContainerId)
	if err != nil {
		return nil, err
	}
	if c.state != runtimeapi.ContainerState_CONTAINER_CREATED {
		return nil, invalid("container %s is %s, not created", c.id, c.state)
	}
	if err := r.injected("StartContainer", c.config.Metadata.Name); err != nil {
		return nil, err
	}
	now := r.cfg.Now()
	c.state, c.startedAt = runtimeapi.ContainerState_CONTAINER_RUNNING, now.UnixNano()
	if e, ok := r.cfg.Exits[c.config.Metadata.Name]; ok {
		c.exit, c.exitWith = now.Add(e.After), e.Code
	}
	return &runtimeapi.StartContainerResponse{}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StopContainer implements RuntimeServiceClient: the container exits at
// once, killed.
func (r *Runtime) StopContainer(_ context.Context, in *runtimeapi.StopContainerRequest, _ ...grpc.CallOption) (*runtimeapi.StopContainerResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.container(in.ContainerId)
	if err != nil {
		return nil, err
	}
	r.kill(c)
	return &runtimeapi.StopContainerResponse{}, nil
}

// kill ends a created or running container; callers hold mu.
func (r *Runtime) kill(c *container) {
	r.settle(c)
	if c.state == runtimeapi.ContainerState_CONTAINER_EXITED {
		return
	}
	c.state, c.exitCode, c.finishedAt = runtimeapi.ContainerState_CONTAINER_EXITED, killedExitCode, r.cfg.Now().UnixNano()
}

// settle applies a running container's configured exit once its time
// has come, so no timer runs per container; callers hold mu.
func (r *Runtime) settle(c *container) {
	if c.state != runtimeapi.ContainerState_CONTAINER_RUNNING || c.exit.IsZero() || r.cfg.Now().Before(c.exit) {
		return
	}
	c.state, c.exitCode, c.finishedAt = runtimeapi.ContainerState_CONTAINER_EXITED, c.exitWith, c.exit.UnixNano()
}

// RemoveContainer implements RuntimeServiceClient.
func (r *Runtime) RemoveContainer(_ context.Context, in *runtimeapi.RemoveContainerRequest, _ ...grpc.CallOption) (*runtimeapi.RemoveContainerResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.containers, in.ContainerId)
	return &runtimeapi.RemoveContainerResponse{}, nil
}

// ListContainers implements RuntimeServiceClient.
func (r *Runtime) ListContainers(_ context.Context, in *runtimeapi.ListContainersRequest, _ ...grpc.CallOption) (*runtimeapi.ListContainersResponse, error) {
	f := in.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &runtimeapi.ListContainersResponse{}
	for _, c := range r.containers {
		r.settle(c)
		switch {
		case f.GetId() != "" && f.Id != c.id,
			f.GetPodSandboxId() != "" && f.PodSandboxId != c.sandboxID,
			f.GetState() != nil && f.State.State != c.state,
			!labelsMatch(c.config.Labels, f.GetLabelSelector()):
			continue
		}
		out.Containers = append(out.Containers, &runtimeapi.Container{Id: c.id, PodSandboxId: c.sandboxID,
			Metadata: c.config.Metadata, Image: c.config.Image, ImageRef: c.imageRef, State: c.state,
			CreatedAt: c.createdAt, Labels: c.config.Labels, Annotations: c.config.Annotations})
	}
	slices.SortFunc(out.Containers, func(a, b *runtimeapi.Container) int { return strings.Compare(a.Id, b.Id) })
	return out, nil
}

// ContainerStatus implements RuntimeServiceClient.
func (r *Runtime) ContainerStatus(_ context.Context, in *runtimeapi.ContainerStatusRequest, _ ...grpc.CallOption) (*runtimeapi.ContainerStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.container(in.ContainerId)
	if err != nil {
		return nil, err
	}
	r.settle(c)
	st := &runtimeapi.ContainerStatus{
		Id: c.id, Metadata: c.config.Metadata, State: c.state,
		CreatedAt: c.createdAt, StartedAt: c.startedAt, FinishedAt: c.finishedAt, ExitCode: c.exitCode,
		Image: c.config.Image, ImageRef: c.imageRef, Labels: c.config.Labels, Annotations: c.config.Annotations,
		Mounts: c.config.Mounts, LogPath: c.logPath,
	}
	if c.state == runtimeapi.ContainerState_CONTAINER_EXITED {
		st.Reason = "Error"
		if c.exitCode == 0 {
			st.Reason = "Completed"
		}
	}
	return &runtimeapi.ContainerStatusResponse{Status: st}, nil
}

// ExecSync implements RuntimeServiceClient: every command in a running
// container succeeds with no output, so exec probes pass.
func (r *Runtime) ExecSync(_ context.Context, in *runtimeapi.ExecSyncRequest, _ ...grpc.CallOption) (*runtimeapi.ExecSyncResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.container(in.ContainerId)
	if err != nil {
		return nil, err
	}
	r.settle(c)
	if c.state != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return nil, invalid("container %s is not running", c.id)
	}
	return &runtimeapi.ExecSyncResponse{}, nil
}
