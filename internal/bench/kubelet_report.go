package bench

import (
	"fmt"
	"io"
	"time"
)

// Latency is a set of durations' middle and tail, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	MaxMs float64 `json:"maxMs"`
}

func latencyOf(ds []time.Duration) Latency {
	return Latency{Count: len(ds), P50Ms: ms(percentile(ds, 50)), P99Ms: ms(percentile(ds, 99)), MaxMs: ms(percentile(ds, 100))}
}

// Footprint is the agent's and its containerd's use over an idle window
// with Pods pods running: CPU as percent of one core, peak RSS.
type Footprint struct {
	Pods            int     `json:"pods"`
	Seconds         float64 `json:"seconds"`
	AgentCPUPercent float64 `json:"agentCpuPercent"`
	AgentRSSMiB     float64 `json:"agentRssMiB"`
	// AgentAnonMiB is the agent's private memory: its RSS less the
	// pages of the skiff executable, which every skiff process shares.
	AgentAnonMiB     float64 `json:"agentAnonMiB"`
	ContainerdCPU    float64 `json:"containerdCpuPercent"`
	ContainerdRSSMiB float64 `json:"containerdRssMiB"`
	ShimsRSSMiB      float64 `json:"shimsRssMiB"`
	ShimsCount       int     `json:"shims"`
}

// KubeletReport holds the node benchmark's figures.
type KubeletReport struct {
	// Floor is RunPodSandbox + CreateContainer + StartContainer straight
	// through CRI; Sequential and Batch are creation → Running seen by a
	// watch, one pod at a time and Batch pods at once.
	Floor      Latency `json:"criFloor"`
	Sequential Latency `json:"sequential"`
	Batch      Latency `json:"batch"`
	// Ratio is Sequential.P99Ms / Floor.P99Ms; the target is ≤ 1.5.
	Ratio     float64     `json:"p99OverFloorP99"`
	BatchSize int         `json:"batchSize"`
	Idle      []Footprint `json:"idle"`
}

// WriteJSON writes the report to path.
func (r *KubeletReport) WriteJSON(path string) error { return writeJSON(path, r) }

// Print writes the report as two tables: latencies, then footprints.
func (r *KubeletReport) Print(w io.Writer) {
	fmt.Fprintf(w, "%-28s %6s %9s %9s %9s\n", "pod start", "count", "p50 ms", "p99 ms", "max ms")
	for _, row := range []struct {
		name string
		l    Latency
	}{{"CRI floor (sequential)", r.Floor}, {"kubelet, sequential", r.Sequential}, {fmt.Sprintf("kubelet, batch of %d", r.BatchSize), r.Batch}} {
		fmt.Fprintf(w, "%-28s %6d %9.0f %9.0f %9.0f\n", row.name, row.l.Count, row.l.P50Ms, row.l.P99Ms, row.l.MaxMs)
	}
	fmt.Fprintf(w, "sequential p99 / floor p99: %.2f (target ≤ 1.5)\n\n", r.Ratio)
	fmt.Fprintf(w, "%-6s %8s %10s %10s %10s %9s %12s %6s %10s\n", "pods", "idle s", "agent CPU%", "agent MiB", "(private)", "ctrd CPU%", "ctrd MiB", "shims", "shims MiB")
	for _, f := range r.Idle {
		fmt.Fprintf(w, "%-6d %8.0f %10.2f %10.1f %10.1f %9.2f %12.1f %6d %10.1f\n", f.Pods, f.Seconds, f.AgentCPUPercent, f.AgentRSSMiB, f.AgentAnonMiB,
			f.ContainerdCPU, f.ContainerdRSSMiB, f.ShimsCount, f.ShimsRSSMiB)
	}
}
