package kubelet

import (
	"context"
	"fmt"
	"sort"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

// criStats is one round of the runtime's answers about running pods.
type criStats struct {
	sandboxes  []*runtimeapi.PodSandbox
	containers []*runtimeapi.Container
	// stats are keyed by container ID.
	stats map[string]*runtimeapi.ContainerStats
	// sandboxStats are keyed by sandbox ID; empty when the runtime does not
	// implement ListPodSandboxStats (containerd 1.6.20 does, on Linux).
	sandboxStats map[string]*runtimeapi.PodSandboxStats
}

// listCRIStats asks the runtime for ready sandboxes, running containers
// and their stats. Stats calls a runtime answers Unimplemented leave
// their maps empty rather than failing.
func listCRIStats(ctx context.Context, rt runtimeapi.RuntimeServiceClient) (*criStats, error) {
	sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
		State: &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}}})
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	cs, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := &criStats{sandboxes: sbs.GetItems(), containers: cs.GetContainers(), stats: map[string]*runtimeapi.ContainerStats{}, sandboxStats: map[string]*runtimeapi.PodSandboxStats{}}
	st, err := rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{})
	if err != nil && !unimplemented(err) {
		return nil, fmt.Errorf("list container stats: %w", err)
	}
	for _, s := range st.GetStats() {
		out.stats[s.GetAttributes().GetId()] = s
	}
	ps, err := rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{})
	if err != nil && !unimplemented(err) {
		return nil, fmt.Errorf("list sandbox stats: %w", err)
	}
	for _, s := range ps.GetStats() {
		out.sandboxStats[s.GetAttributes().GetId()] = s
	}
	return out, nil
}

func unimplemented(err error) bool { return status.Code(err) == codes.Unimplemented }

// podStats builds the CPU and memory of every ready sandbox and its
// running containers, feeding rates with the CPU counters. Pods the
// runtime gives no sandbox stats for add up their containers.
func (in *criStats) podStats(rates *cpuRates) []statsapi.PodStats {
	bySandbox := map[string][]*runtimeapi.Container{}
	for _, c := range in.containers {
		bySandbox[c.GetPodSandboxId()] = append(bySandbox[c.GetPodSandboxId()], c)
	}
	out := make([]statsapi.PodStats, 0, len(in.sandboxes))
	for _, sb := range in.sandboxes {
		md := sb.GetMetadata()
		ps := statsapi.PodStats{
			PodRef:    statsapi.PodReference{Name: md.GetName(), Namespace: md.GetNamespace(), UID: md.GetUid()},
			StartTime: statsTime(sb.GetCreatedAt()),
		}
		for _, c := range bySandbox[sb.GetId()] {
			ps.Containers = append(ps.Containers, in.containerStats(c, rates))
		}
		sort.Slice(ps.Containers, func(i, j int) bool { return ps.Containers[i].Name < ps.Containers[j].Name })
		if s := in.sandboxStats[sb.GetId()].GetLinux(); s != nil {
			ps.CPU = cpuStats("pod/"+sb.GetId(), s.GetCpu(), rates)
			ps.Memory = memoryStats(s.GetMemory())
			ps.Network = networkStats(s.GetNetwork(), ps.CPU)
		} else {
			ps.CPU, ps.Memory = sumContainers(ps.Containers)
		}
		out = append(out, ps)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].PodRef, out[j].PodRef
		return a.Namespace < b.Namespace || (a.Namespace == b.Namespace && a.Name < b.Name)
	})
	return out
}

// containerStats is one container's CPU, memory and writable layer.
func (in *criStats) containerStats(c *runtimeapi.Container, rates *cpuRates) statsapi.ContainerStats {
	cs := statsapi.ContainerStats{Name: c.GetMetadata().GetName(), StartTime: statsTime(c.GetCreatedAt())}
	s, ok := in.stats[c.GetId()]
	if !ok {
		return cs
	}
	cs.CPU = cpuStats(c.GetId(), s.GetCpu(), rates)
	cs.Memory = memoryStats(s.GetMemory())
	// containerd measures writable layers in the background and reports
	// a zero timestamp until it has.
	if wl := s.GetWritableLayer(); wl != nil && wl.GetTimestamp() != 0 {
		cs.Rootfs = &statsapi.FsStats{Time: statsTime(wl.GetTimestamp()), UsedBytes: u64(wl.GetUsedBytes()), InodesUsed: u64(wl.GetInodesUsed())}
	}
	return cs
}

// cpuStats converts CRI CPU usage; usageNanoCores comes from rates, not
// from the runtime, so every runtime gets the same averaging.
func cpuStats(key string, c *runtimeapi.CpuUsage, rates *cpuRates) *statsapi.CPUStats {
	if c == nil || c.GetUsageCoreNanoSeconds() == nil {
		return nil
	}
	at := time.Unix(0, c.GetTimestamp())
	total := c.GetUsageCoreNanoSeconds().GetValue()
	return &statsapi.CPUStats{Time: metav1.NewTime(at), UsageCoreNanoSeconds: &total, UsageNanoCores: rates.rate(key, at, total)}
}

func memoryStats(m *runtimeapi.MemoryUsage) *statsapi.MemoryStats {
	if m == nil {
		return nil
	}
	available := u64(m.GetAvailableBytes())
	if available != nil && *available == 0 {
		// containerd reports 0 for a container without a memory limit,
		// where Kubernetes leaves the figure out.
		available = nil
	}
	return &statsapi.MemoryStats{
		Time:            statsTime(m.GetTimestamp()),
		AvailableBytes:  available,
		UsageBytes:      u64(m.GetUsageBytes()),
		WorkingSetBytes: u64(m.GetWorkingSetBytes()),
		RSSBytes:        u64(m.GetRssBytes()),
		PageFaults:      u64(m.GetPageFaults()),
		MajorPageFaults: u64(m.GetMajorPageFaults()),
	}
}

// networkStats converts CRI network usage; containerd 1.6 leaves its
// timestamp unset, so the pod's CPU sample time stands in.
func networkStats(n *runtimeapi.NetworkUsage, cpu *statsapi.CPUStats) *statsapi.NetworkStats {
	if n == nil || n.GetDefaultInterface() == nil {
		return nil
	}
	iface := func(i *runtimeapi.NetworkInterfaceUsage) statsapi.InterfaceStats {
		return statsapi.InterfaceStats{Name: i.GetName(), RxBytes: u64(i.GetRxBytes()), RxErrors: u64(i.GetRxErrors()), TxBytes: u64(i.GetTxBytes()), TxErrors: u64(i.GetTxErrors())}
	}
	out := &statsapi.NetworkStats{Time: statsTime(n.GetTimestamp()), InterfaceStats: iface(n.GetDefaultInterface())}
	if n.GetTimestamp() == 0 && cpu != nil {
		out.Time = cpu.Time
	}
	for _, i := range n.GetInterfaces() {
		out.Interfaces = append(out.Interfaces, iface(i))
	}
	return out
}

// sumContainers adds up the containers' CPU and memory; a figure any
// container lacks is left out of the pod.
func sumContainers(cs []statsapi.ContainerStats) (*statsapi.CPUStats, *statsapi.MemoryStats) {
	if len(cs) == 0 {
		return nil, nil
	}
	cpu, mem := &statsapi.CPUStats{}, &statsapi.MemoryStats{}
	for i, c := range cs {
		if c.CPU == nil || c.Memory == nil {
			return nil, nil
		}
		if c.CPU.Time.After(cpu.Time.Time) {
			cpu.Time = c.CPU.Time
		}
		if c.Memory.Time.After(mem.Time.Time) {
			mem.Time = c.Memory.Time
		}
		first := i == 0
		cpu.UsageCoreNanoSeconds = addU64(cpu.UsageCoreNanoSeconds, c.CPU.UsageCoreNanoSeconds, first)
		cpu.UsageNanoCores = addU64(cpu.UsageNanoCores, c.CPU.UsageNanoCores, first)
		mem.WorkingSetBytes = addU64(mem.WorkingSetBytes, c.Memory.WorkingSetBytes, first)
		mem.UsageBytes = addU64(mem.UsageBytes, c.Memory.UsageBytes, first)
		mem.RSSBytes = addU64(mem.RSSBytes, c.Memory.RSSBytes, first)
	}
	return cpu, mem
}

// addU64 is sum+v, nil once any value is missing; first starts the sum.
func addU64(sum, v *uint64, first bool) *uint64 {
	if v == nil || (sum == nil && !first) {
		return nil
	}
	n := *v
	if sum != nil {
		n += *sum
	}
	return &n
}

func u64(v *runtimeapi.UInt64Value) *uint64 {
	if v == nil {
		return nil
	}
	n := v.GetValue()
	return &n
}

// statsTime is a CRI timestamp, unrounded.
func statsTime(ns int64) metav1.Time { return metav1.NewTime(time.Unix(0, ns)) }
