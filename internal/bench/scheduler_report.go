package bench

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// SchedulerReport holds one case's figures.
type SchedulerReport struct {
	Case          string  `json:"case"`
	Nodes         int     `json:"nodes"`
	Pods          int     `json:"pods"`
	Spread        bool    `json:"spread"`
	Scheduled     int     `json:"scheduled"`
	CreateSeconds float64 `json:"createSeconds"`
	// ScheduleSeconds runs from the scheduler's start (all pods pending)
	// to the last binding seen by a watch; PodsPerSec is Scheduled over
	// it, PeakPodsPerSec the most bindings seen within one second.
	ScheduleSeconds float64 `json:"scheduleSeconds"`
	PodsPerSec      float64 `json:"podsPerSec"`
	PeakPodsPerSec  float64 `json:"peakPodsPerSec"`
	// Attempt* is scheduler_scheduling_attempt_duration_seconds (pop to
	// bound), Algorithm* scheduler_scheduling_algorithm_duration_seconds
	// (filter and score), interpolated within their buckets.
	AttemptP50Ms   float64 `json:"attemptP50Ms"`
	AttemptP99Ms   float64 `json:"attemptP99Ms"`
	AlgorithmP50Ms float64 `json:"algorithmP50Ms"`
	AlgorithmP99Ms float64 `json:"algorithmP99Ms"`
	// SchedulerCPUSeconds counts the profile samples of the scheduler's
	// goroutines; ProcessCPUSeconds all samples while scheduling, the
	// in-process API server and etcd included.
	SchedulerCPUSeconds float64 `json:"schedulerCPUSeconds"`
	ProcessCPUSeconds   float64 `json:"processCPUSeconds"`
	// PeakRSSMiB is the benchmark process's: scheduler, API server and
	// etcd together.
	PeakRSSMiB     float64   `json:"peakRSSMiB"`
	TopFunctions   []FuncCPU `json:"topFunctions"`
	NodesUsed      int       `json:"nodesUsed"`
	MaxPodsPerNode int       `json:"maxPodsPerNode"`
	PodsPerZone    []int     `json:"podsPerZone"`
}

// addLatency reads the scheduler's latency histograms from reg.
func (r *SchedulerReport) addLatency(reg *prometheus.Registry) error {
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "scheduler_scheduling_attempt_duration_seconds":
			for _, m := range mf.GetMetric() {
				if labelValue(m, "result") == "scheduled" {
					r.AttemptP50Ms, r.AttemptP99Ms = 1000*quantile(m.GetHistogram(), 0.5), 1000*quantile(m.GetHistogram(), 0.99)
				}
			}
		case "scheduler_scheduling_algorithm_duration_seconds":
			h := mf.GetMetric()[0].GetHistogram()
			r.AlgorithmP50Ms, r.AlgorithmP99Ms = 1000*quantile(h, 0.5), 1000*quantile(h, 0.99)
		}
	}
	return nil
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// quantile interpolates the q-quantile linearly within its bucket, as
// Prometheus' histogram_quantile does.
func quantile(h *dto.Histogram, q float64) float64 {
	rank := q * float64(h.GetSampleCount())
	lower, below := 0.0, uint64(0)
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= rank {
			in := b.GetCumulativeCount() - below
			if in == 0 {
				return b.GetUpperBound()
			}
			return lower + (b.GetUpperBound()-lower)*(rank-float64(below))/float64(in)
		}
		lower, below = b.GetUpperBound(), b.GetCumulativeCount()
	}
	return lower // beyond the last bucket
}

// addProfile fills the CPU figures from the case's CPU profile.
func (r *SchedulerReport) addProfile(data []byte) error {
	p, err := parseCPUProfile(data)
	if err != nil {
		return err
	}
	sched, all := p.total(profLabel, profLabelValue)
	r.SchedulerCPUSeconds, r.ProcessCPUSeconds = sched.Seconds(), all.Seconds()
	r.TopFunctions = p.top(profLabel, profLabelValue, 5)
	return nil
}

// peakRSS returns this process's high-water resident memory.
func peakRSS() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// WriteSchedulerJSON writes the reports to path.
func WriteSchedulerJSON(path string, reports []*SchedulerReport) error {
	return writeJSON(path, reports)
}

// Print writes the report as a table.
func (r *SchedulerReport) Print(w io.Writer) {
	workload := "basic pods"
	if r.Spread {
		workload = "pods with a 3-zone topology spread"
	}
	rows := [][2]string{
		{"case", fmt.Sprintf("%s: %d nodes, %d %s", r.Case, r.Nodes, r.Pods, workload)},
		{"pods scheduled", fmt.Sprintf("%d (created beforehand in %.1f s)", r.Scheduled, r.CreateSeconds)},
		{"scheduler start to last binding", fmt.Sprintf("%.1f s", r.ScheduleSeconds)},
		{"throughput sustained / peak (1 s)", fmt.Sprintf("%.0f / %.0f pods/s", r.PodsPerSec, r.PeakPodsPerSec)},
		{"attempt latency p50 / p99", fmt.Sprintf("%.1f / %.1f ms", r.AttemptP50Ms, r.AttemptP99Ms)},
		{"algorithm latency p50 / p99", fmt.Sprintf("%.2f / %.2f ms", r.AlgorithmP50Ms, r.AlgorithmP99Ms)},
		{"scheduler CPU / whole process CPU", fmt.Sprintf("%.1f s / %.1f s", r.SchedulerCPUSeconds, r.ProcessCPUSeconds)},
		{"scheduler CPU per pod", fmt.Sprintf("%.2f ms", 1000*r.SchedulerCPUSeconds/float64(max(r.Scheduled, 1)))},
		{"peak RSS (scheduler+API server+etcd)", fmt.Sprintf("%.0f MiB", r.PeakRSSMiB)},
		{"nodes used / most pods on one node", fmt.Sprintf("%d / %d", r.NodesUsed, r.MaxPodsPerNode)},
		{"pods per zone", fmt.Sprint(r.PodsPerZone)},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-40s %s\n", row[0], row[1])
	}
	fmt.Fprintln(w, "scheduler CPU by function (flat, top 5):")
	for _, f := range r.TopFunctions {
		fmt.Fprintf(w, "  %5.1f%%  %6.2f s  %s\n", f.Percent, f.Seconds, f.Func)
	}
}
