package kubelet

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

// statsFixture is a runtime answering the stats calls from fixtures;
// every other call panics on the nil embedded client.
type statsFixture struct {
	runtimeapi.RuntimeServiceClient
	sandboxes  []*runtimeapi.PodSandbox
	containers []*runtimeapi.Container
	stats      []*runtimeapi.ContainerStats
	podStats   []*runtimeapi.PodSandboxStats // nil: Unimplemented
	fail       error                         // what ListPodSandbox returns
}

func (f *statsFixture) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest, ...grpc.CallOption) (*runtimeapi.ListPodSandboxResponse, error) {
	return &runtimeapi.ListPodSandboxResponse{Items: f.sandboxes}, f.fail
}

func (f *statsFixture) ListContainers(context.Context, *runtimeapi.ListContainersRequest, ...grpc.CallOption) (*runtimeapi.ListContainersResponse, error) {
	return &runtimeapi.ListContainersResponse{Containers: f.containers}, nil
}

func (f *statsFixture) ListContainerStats(context.Context, *runtimeapi.ListContainerStatsRequest, ...grpc.CallOption) (*runtimeapi.ListContainerStatsResponse, error) {
	return &runtimeapi.ListContainerStatsResponse{Stats: f.stats}, nil
}

func (f *statsFixture) ListPodSandboxStats(context.Context, *runtimeapi.ListPodSandboxStatsRequest, ...grpc.CallOption) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	if f.podStats == nil {
		return nil, status.Error(codes.Unimplemented, "not implemented")
	}
	return &runtimeapi.ListPodSandboxStatsResponse{Stats: f.podStats}, nil
}

func (f *statsFixture) ImageFsInfo(context.Context, *runtimeapi.ImageFsInfoRequest, ...grpc.CallOption) (*runtimeapi.ImageFsInfoResponse, error) {
	return nil, status.Error(codes.Unimplemented, "not implemented")
}

var statsT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// sample sets container id's cumulative CPU (core-ns) and working set at.
func (f *statsFixture) sample(id string, at time.Time, cpu, ws uint64) {
	s := &runtimeapi.ContainerStats{
		Attributes: &runtimeapi.ContainerAttributes{Id: id},
		Cpu:        &runtimeapi.CpuUsage{Timestamp: at.UnixNano(), UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cpu}},
		Memory:     &runtimeapi.MemoryUsage{Timestamp: at.UnixNano(), WorkingSetBytes: &runtimeapi.UInt64Value{Value: ws}, UsageBytes: &runtimeapi.UInt64Value{Value: ws + 100}},
	}
	for i, old := range f.stats {
		if old.Attributes.Id == id {
			f.stats[i] = s
			return
		}
	}
	f.stats = append(f.stats, s)
}

func webPod() *statsFixture {
	f := &statsFixture{
		sandboxes: []*runtimeapi.PodSandbox{{Id: "sb1", CreatedAt: statsT0.UnixNano(), Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "u1"}}},
		containers: []*runtimeapi.Container{
			{Id: "c2", PodSandboxId: "sb1", CreatedAt: statsT0.UnixNano(), Metadata: &runtimeapi.ContainerMetadata{Name: "sidecar"}},
			{Id: "c1", PodSandboxId: "sb1", CreatedAt: statsT0.UnixNano(), Metadata: &runtimeapi.ContainerMetadata{Name: "app"}},
		},
	}
	f.sample("c1", statsT0, 1e9, 1000)
	f.sample("c2", statsT0, 2e9, 500)
	return f
}

func newTestStats(t *testing.T, rt statsRuntime) *statsProvider {
	t.Helper()
	return newStatsProvider(&Kubelet{log: slog.New(slog.DiscardHandler), cfg: Config{NodeName: "n1", DataDir: t.TempDir(), LogRoot: t.TempDir(), RootDir: t.TempDir(), Now: func() time.Time { return statsT0 }}}, rt)
}

func ptr(v uint64) *uint64 { return &v }

func TestCPURatesNeedTwoSamples(t *testing.T) {
	r := newCPURates()
	if got := r.rate("c", statsT0, 1e9); got != nil {
		t.Fatalf("first sample gave rate %d, want none", *got)
	}
	// 3 core-seconds over 2 seconds is 1.5 cores.
	if got := r.rate("c", statsT0.Add(2*time.Second), 4e9); got == nil || *got != 1.5e9 {
		t.Fatalf("rate = %v, want 1.5e9", got)
	}
	// A sample closer than minRateWindow keeps the previous rate.
	if got := r.rate("c", statsT0.Add(2500*time.Millisecond), 9e9); got == nil || *got != 1.5e9 {
		t.Fatalf("rate within the window = %v, want the previous 1.5e9", got)
	}
	// A counter that went back (a restarted cgroup) starts over.
	if got := r.rate("c", statsT0.Add(5*time.Second), 1); got != nil {
		t.Fatalf("rate after reset = %d, want none", *got)
	}
	r.prune(statsT0.Add(5*time.Second + rateTTL + time.Second))
	if len(r.last) != 0 {
		t.Fatalf("prune kept %d samples", len(r.last))
	}
}

func TestSummaryFromCRIStats(t *testing.T) {
	f := webPod()
	p := newTestStats(t, f)
	first, err := p.summary(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if c := first.Pods[0].Containers[0]; c.CPU.UsageNanoCores != nil {
		t.Fatalf("first summary has usageNanoCores %d, want none before a second sample", *c.CPU.UsageNanoCores)
	}
	f.sample("c1", statsT0.Add(10*time.Second), 6e9, 3000) // 0.5 cores
	f.sample("c2", statsT0.Add(10*time.Second), 3e9, 700)  // 0.1 cores
	s, err := p.summary(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	at := statsTime(statsT0.Add(10 * time.Second).UnixNano())
	want := statsapi.PodStats{
		PodRef:    statsapi.PodReference{Name: "web", Namespace: "default", UID: "u1"},
		StartTime: statsTime(statsT0.UnixNano()),
		Containers: []statsapi.ContainerStats{
			{Name: "app", StartTime: statsTime(statsT0.UnixNano()), CPU: &statsapi.CPUStats{Time: at, UsageNanoCores: ptr(5e8), UsageCoreNanoSeconds: ptr(6e9)},
				Memory: &statsapi.MemoryStats{Time: at, WorkingSetBytes: ptr(3000), UsageBytes: ptr(3100)}},
			{Name: "sidecar", StartTime: statsTime(statsT0.UnixNano()), CPU: &statsapi.CPUStats{Time: at, UsageNanoCores: ptr(1e8), UsageCoreNanoSeconds: ptr(3e9)},
				Memory: &statsapi.MemoryStats{Time: at, WorkingSetBytes: ptr(700), UsageBytes: ptr(800)}},
		},
		// Without sandbox stats the pod adds up its containers.
		CPU:    &statsapi.CPUStats{Time: at, UsageNanoCores: ptr(6e8), UsageCoreNanoSeconds: ptr(9e9)},
		Memory: &statsapi.MemoryStats{Time: at, WorkingSetBytes: ptr(3700), UsageBytes: ptr(3900)},
	}
	if diff := cmp.Diff([]statsapi.PodStats{want}, s.Pods); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
	if s.Node.NodeName != "n1" || s.Node.Memory == nil || s.Node.Memory.WorkingSetBytes == nil {
		t.Errorf("node stats lack memory: %+v", s.Node)
	}
}

func TestSummaryPrefersSandboxStats(t *testing.T) {
	f := webPod()
	mem := &runtimeapi.MemoryUsage{Timestamp: statsT0.UnixNano(), WorkingSetBytes: &runtimeapi.UInt64Value{Value: 42}}
	f.podStats = []*runtimeapi.PodSandboxStats{{Attributes: &runtimeapi.PodSandboxAttributes{Id: "sb1"}, Linux: &runtimeapi.LinuxPodSandboxStats{
		Cpu: &runtimeapi.CpuUsage{Timestamp: statsT0.UnixNano(), UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: 7}}, Memory: mem,
		// containerd 1.6 sets no network timestamp.
		Network: &runtimeapi.NetworkUsage{DefaultInterface: &runtimeapi.NetworkInterfaceUsage{Name: "eth0", RxBytes: &runtimeapi.UInt64Value{Value: 9}}}}}}
	s, err := newTestStats(t, f).summary(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	pod := s.Pods[0]
	if *pod.CPU.UsageCoreNanoSeconds != 7 || *pod.Memory.WorkingSetBytes != 42 {
		t.Errorf("pod cpu %d, memory %d: want the sandbox's 7 and 42", *pod.CPU.UsageCoreNanoSeconds, *pod.Memory.WorkingSetBytes)
	}
	if n := pod.Network; n == nil || n.Name != "eth0" || *n.RxBytes != 9 || !n.Time.Equal(&pod.CPU.Time) {
		t.Errorf("pod network %+v: want eth0 with 9 bytes received at the CPU sample's time", n)
	}
}

func TestSummaryJSONNames(t *testing.T) {
	s, err := newTestStats(t, webPod()).summary(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	for _, key := range []string{`"podRef":{"name":"web","namespace":"default","uid":"u1"}`, `"usageCoreNanoSeconds":1000000000`, `"workingSetBytes":1000`, `"ephemeral-storage":{`, `"logs":{`, `"nodeName":"n1"`, `"fs":{`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("summary JSON lacks %s:\n%s", key, b)
		}
	}
}

func TestResourceMetricsText(t *testing.T) {
	f := webPod()
	f.containers = f.containers[1:] // only app
	p := newTestStats(t, f)
	rec := httptest.NewRecorder()
	p.serveResourceMetrics(rec, httptest.NewRequest("GET", "/metrics/resource", nil))
	body := rec.Body.String()
	ms := statsT0.UnixMilli()
	for _, line := range []string{
		`container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 1 ` + itoa(ms),
		`container_memory_working_set_bytes{container="app",namespace="default",pod="web"} 1000 ` + itoa(ms),
		`container_start_time_seconds{container="app",namespace="default",pod="web"} 1.767323045e+09 ` + itoa(ms),
		`pod_cpu_usage_seconds_total{namespace="default",pod="web"} 1 ` + itoa(ms),
		`pod_memory_working_set_bytes{namespace="default",pod="web"} 1000 ` + itoa(ms),
		`# TYPE node_memory_working_set_bytes gauge`,
		"\nscrape_error 0\n",
		"\nresource_scrape_error 0\n",
	} {
		if !strings.Contains(body, line) {
			t.Errorf("resource metrics lack %q:\n%s", line, body)
		}
	}
}

func TestResourceMetricsScrapeError(t *testing.T) {
	rec := httptest.NewRecorder()
	newTestStats(t, &statsFixture{fail: status.Error(codes.Unavailable, "down")}).serveResourceMetrics(rec, httptest.NewRequest("GET", "/metrics/resource", nil))
	if body := rec.Body.String(); !strings.Contains(body, "\nscrape_error 1\n") || strings.Contains(body, "container_") {
		t.Errorf("a failing runtime should give scrape_error 1 and no containers:\n%s", body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
