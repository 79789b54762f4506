package fake

import (
	"context"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The fake runtime is both CRI services.
var (
	_ runtimeapi.RuntimeServiceClient = (*Runtime)(nil)
	_ runtimeapi.ImageServiceClient   = (*Runtime)(nil)
)

// Streams, checkpoints, metrics and resource updates are not simulated:
// these calls return codes.Unimplemented.

func (r *Runtime) StreamPodSandboxes(context.Context, *runtimeapi.StreamPodSandboxesRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[runtimeapi.StreamPodSandboxesResponse], error) {
	return nil, unimplemented("StreamPodSandboxes")
}

func (r *Runtime) StreamContainers(context.Context, *runtimeapi.StreamContainersRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[runtimeapi.StreamContainersResponse], error) {
	return nil, unimplemented("StreamContainers")
}

func (r *Runtime) StreamContainerStats(context.Context, *runtimeapi.StreamContainerStatsRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[runtimeapi.StreamContainerStatsResponse], error) {
	return nil, unimplemented("StreamContainerStats")
}

func (r *Runtime) StreamPodSandboxStats(context.Context, *runtimeapi.StreamPodSandboxStatsRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[runtimeapi.StreamPodSandboxStatsResponse], error) {
	return nil, unimplemented("StreamPodSandboxStats")
}

func (r *Runtime) StreamPodSandboxMetrics(context.Context, *runtimeapi.StreamPodSandboxMetricsRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[runtimeapi.StreamPodSandboxMetricsResponse], error) {
	return nil, unimplemented("StreamPodSandboxMetrics")
}

func (r *Runtime) StreamImages(context.Context, *runtimeapi.StreamImagesRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[runtimeapi.StreamImagesResponse], error) {
	return nil, unimplemented("StreamImages")
}

func (r *Runtime) GetContainerEvents(context.Context, *runtimeapi.GetEventsRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[runtimeapi.ContainerEventResponse], error) {
	return nil, unimplemented("GetContainerEvents")
}

func (r *Runtime) UpdateContainerResources(context.Context, *runtimeapi.UpdateContainerResourcesRequest, ...grpc.CallOption) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	return nil, unimplemented("UpdateContainerResources")
}

func (r *Runtime) UpdatePodSandboxResources(context.Context, *runtimeapi.UpdatePodSandboxResourcesRequest, ...grpc.CallOption) (*runtimeapi.UpdatePodSandboxResourcesResponse, error) {
	return nil, unimplemented("UpdatePodSandboxResources")
}

func (r *Runtime) ReopenContainerLog(context.Context, *runtimeapi.ReopenContainerLogRequest, ...grpc.CallOption) (*runtimeapi.ReopenContainerLogResponse, error) {
	return nil, unimplemented("ReopenContainerLog")
}

func (r *Runtime) Exec(context.Context, *runtimeapi.ExecRequest, ...grpc.CallOption) (*runtimeapi.ExecResponse, error) {
	return nil, unimplemented("Exec")
}

func (r *Runtime) Attach(context.Context, *runtimeapi.AttachRequest, ...grpc.CallOption) (*runtimeapi.AttachResponse, error) {
	return nil, unimplemented("Attach")
}

func (r *Runtime) PortForward(context.Context, *runtimeapi.PortForwardRequest, ...grpc.CallOption) (*runtimeapi.PortForwardResponse, error) {
	return nil, unimplemented("PortForward")
}

func (r *Runtime) CheckpointContainer(context.Context, *runtimeapi.CheckpointContainerRequest, ...grpc.CallOption) (*runtimeapi.CheckpointContainerResponse, error) {
	return nil, unimplemented("CheckpointContainer")
}

func (r *Runtime) CheckpointPod(context.Context, *runtimeapi.CheckpointPodRequest, ...grpc.CallOption) (*runtimeapi.CheckpointPodResponse, error) {
	return nil, unimplemented("CheckpointPod")
}

func (r *Runtime) RestorePod(context.Context, *runtimeapi.RestorePodRequest, ...grpc.CallOption) (*runtimeapi.RestorePodResponse, error) {
	return nil, unimplemented("RestorePod")
}

func (r *Runtime) ListMetricDescriptors(context.Context, *runtimeapi.ListMetricDescriptorsRequest, ...grpc.CallOption) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	return nil, unimplemented("ListMetricDescriptors")
}

func (r *Runtime) ListPodSandboxMetrics(context.Context, *runtimeapi.ListPodSandboxMetricsRequest, ...grpc.CallOption) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	return nil, unimplemented("ListPodSandboxMetrics")
}

func (r *Runtime) RuntimeConfig(context.Context, *runtimeapi.RuntimeConfigRequest, ...grpc.CallOption) (*runtimeapi.RuntimeConfigResponse, error) {
	return nil, unimplemented("RuntimeConfig")
}
