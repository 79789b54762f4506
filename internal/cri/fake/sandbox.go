package fake

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type sandbox struct {
	id        string
	config    *runtimeapi.PodSandboxConfig
	state     runtimeapi.PodSandboxState
	createdAt int64
	ip        netip.Addr // invalid for host-network sandboxes
}

// RunPodSandbox implements RuntimeServiceClient: the sandbox is ready at
// once, with the next free pod IP unless it shares the node's network.
func (r *Runtime) RunPodSandbox(_ context.Context, in *runtimeapi.RunPodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.RunPodSandboxResponse, error) {
	cfg := in.GetConfig()
	if cfg.GetMetadata() == nil {
		return nil, invalid("sandbox config without metadata")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.injected("RunPodSandbox", cfg.Metadata.Name); err != nil {
		return nil, err
	}
	sb := &sandbox{id: r.newID(), config: cfg, state: runtimeapi.PodSandboxState_SANDBOX_READY, createdAt: r.cfg.Now().UnixNano()}
	if cfg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetNetwork() != runtimeapi.NamespaceMode_NODE {
		ip, ok := r.ips.allocate()
		if !ok {
			return nil, resourceExhausted("pod CIDR %s is full", r.ips.cidr)
		}
		sb.ip = ip
	}
	r.sandboxes[sb.id] = sb
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: sb.id}, nil
}

// StopPodSandbox implements RuntimeServiceClient: it stops the
// sandbox's containers and frees its IP.
func (r *Runtime) StopPodSandbox(_ context.Context, in *runtimeapi.StopPodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.StopPodSandboxResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, err := r.sandbox(in.PodSandboxId)
	if err != nil {
		return nil, err
	}
	r.stopSandbox(sb)
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

// stopSandbox kills the sandbox's containers; callers hold mu.
func (r *Runtime) stopSandbox(sb *sandbox) {
	for _, c := range r.containers {
		if c.sandboxID == sb.id {
			r.kill(c)
		}
	}
	if sb.state == runtimeapi.PodSandboxState_SANDBOX_READY && sb.ip.IsValid() {
		r.ips.release(sb.ip)
	}
	sb.state = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
}

// RemovePodSandbox implements RuntimeServiceClient: it stops the
// sandbox and removes it with its containers.
func (r *Runtime) RemovePodSandbox(_ context.Context, in *runtimeapi.RemovePodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.RemovePodSandboxResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, ok := r.sandboxes[in.PodSandboxId]
	if !ok {
		return &runtimeapi.RemovePodSandboxResponse{}, nil // removing a removed sandbox succeeds, as in CRI
	}
	r.stopSandbox(sb)
	for id, c := range r.containers {
		if c.sandboxID == sb.id {
			delete(r.containers, id)
		}
	}
	delete(r.sandboxes, sb.id)
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

// PodSandboxStatus implements RuntimeServiceClient.
func (r *Runtime) PodSandboxStatus(_ context.Context, in *runtimeapi.PodSandboxStatusRequest, _ ...grpc.CallOption) (*runtimeapi.PodSandboxStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, err := r.sandbox(in.PodSandboxId)
	if err != nil {
		return nil, err
	}
	st := &runtimeapi.PodSandboxStatus{
		Id: sb.id, Metadata: sb.config.Metadata, State: sb.state, CreatedAt: sb.createdAt,
		Linux:  &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: sb.config.GetLinux().GetSecurityContext().GetNamespaceOptions()}},
		Labels: sb.config.Labels, Annotations: sb.config.Annotations,
	}
	if sb.ip.IsValid() {
		st.Network = &runtimeapi.PodSandboxNetworkStatus{Ip: sb.ip.String()}
	}
	return &runtimeapi.PodSandboxStatusResponse{Status: st}, nil
}

// ListPodSandbox implements RuntimeServiceClient.
func (r *Runtime) ListPodSandbox(_ context.Context, in *runtimeapi.ListPodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.ListPodSandboxResponse, error) {
	f := in.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &runtimeapi.ListPodSandboxResponse{}
	for _, sb := range r.sandboxes {
		switch {
		case f.GetId() != "" && f.Id != sb.id,
			f.GetState() != nil && f.State.State != sb.state,
			!labelsMatch(sb.config.Labels, f.GetLabelSelector()):
			continue
		}
		out.Items = append(out.Items, &runtimeapi.PodSandbox{Id: sb.id, Metadata: sb.config.Metadata, State: sb.state,
			CreatedAt: sb.createdAt, Labels: sb.config.Labels, Annotations: sb.config.Annotations})
	}
	// IDs grow with creation, so this is creation order.
	slices.SortFunc(out.Items, func(a, b *runtimeapi.PodSandbox) int { return strings.Compare(a.Id, b.Id) })
	return out, nil
}

// labelsMatch reports whether have holds every pair of sel.
func labelsMatch(have, sel map[string]string) bool {
	for k, v := range sel {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
