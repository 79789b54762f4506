package kubelet

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

// The series of the kubelet's /metrics/resource, which metrics-server
// reads; names, labels and help are Kubernetes'.
var (
	nodeCPUDesc      = prometheus.NewDesc("node_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the node in core-seconds", nil, nil)
	nodeMemoryDesc   = prometheus.NewDesc("node_memory_working_set_bytes", "[STABLE] Current working set of the node in bytes", nil, nil)
	podCPUDesc       = prometheus.NewDesc("pod_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the pod in core-seconds", []string{"pod", "namespace"}, nil)
	podMemoryDesc    = prometheus.NewDesc("pod_memory_working_set_bytes", "[STABLE] Current working set of the pod in bytes", []string{"pod", "namespace"}, nil)
	ctrCPUDesc       = prometheus.NewDesc("container_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the container in core-seconds", []string{"container", "pod", "namespace"}, nil)
	ctrMemoryDesc    = prometheus.NewDesc("container_memory_working_set_bytes", "[STABLE] Current working set of the container in bytes", []string{"container", "pod", "namespace"}, nil)
	ctrStartDesc     = prometheus.NewDesc("container_start_time_seconds", "[STABLE] Start time of the container since unix epoch in seconds", []string{"container", "pod", "namespace"}, nil)
	scrapeErrorDesc  = prometheus.NewDesc("scrape_error", "[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise", nil, nil)
	rScrapeErrorDesc = prometheus.NewDesc("resource_scrape_error", "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise", nil, nil)
)

// resourceCollector exposes one summary (nil when collecting it failed)
// as resource metrics, each sample stamped with its measurement time.
type resourceCollector struct{ s *statsapi.Summary }

// Describe sends every descriptor.
func (c resourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{nodeCPUDesc, nodeMemoryDesc, podCPUDesc, podMemoryDesc, ctrCPUDesc, ctrMemoryDesc, ctrStartDesc, scrapeErrorDesc, rScrapeErrorDesc} {
		ch <- d
	}
}

// Collect sends the summary's figures and the scrape error flag.
func (c resourceCollector) Collect(ch chan<- prometheus.Metric) {
	failed := 0.0
	if c.s == nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
	ch <- prometheus.MustNewConstMetric(rScrapeErrorDesc, prometheus.GaugeValue, failed)
	if c.s == nil {
		return
	}
	collectUsage(ch, c.s.Node.CPU, c.s.Node.Memory, nodeCPUDesc, nodeMemoryDesc)
	for _, p := range c.s.Pods {
		ref := []string{p.PodRef.Name, p.PodRef.Namespace}
		collectUsage(ch, p.CPU, p.Memory, podCPUDesc, podMemoryDesc, ref...)
		for _, ctr := range p.Containers {
			// Kubernetes leaves out containers with no CPU figures yet.
			if ctr.CPU == nil || ctr.CPU.UsageCoreNanoSeconds == nil {
				continue
			}
			labels := append([]string{ctr.Name}, ref...)
			ch <- sample(ctrStartDesc, prometheus.GaugeValue, ctr.CPU.Time.Time, float64(ctr.StartTime.UnixNano())/1e9, labels)
			collectUsage(ch, ctr.CPU, ctr.Memory, ctrCPUDesc, ctrMemoryDesc, labels...)
		}
	}
}

// collectUsage sends cumulative CPU seconds and the working set, those
// that are known.
func collectUsage(ch chan<- prometheus.Metric, cpu *statsapi.CPUStats, mem *statsapi.MemoryStats, cpuDesc, memDesc *prometheus.Desc, labels ...string) {
	if cpu != nil && cpu.UsageCoreNanoSeconds != nil {
		ch <- sample(cpuDesc, prometheus.CounterValue, cpu.Time.Time, float64(*cpu.UsageCoreNanoSeconds)/1e9, labels)
	}
	if mem != nil && mem.WorkingSetBytes != nil {
		ch <- sample(memDesc, prometheus.GaugeValue, mem.Time.Time, float64(*mem.WorkingSetBytes), labels)
	}
}

func sample(d *prometheus.Desc, t prometheus.ValueType, at time.Time, v float64, labels []string) prometheus.Metric {
	return prometheus.NewMetricWithTimestamp(at, prometheus.MustNewConstMetric(d, t, v, labels...))
}
