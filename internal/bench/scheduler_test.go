package bench

import (
	"context"
	"io"
	"testing"
)

// BenchmarkScheduler schedules 2000 pods on 500 nodes per iteration and
// reports throughput and latency; timing never fails it.
func BenchmarkScheduler(b *testing.B) {
	opts := SchedulerOptions{Nodes: 500, Pods: 2000, Clients: 16, DataDir: b.TempDir()}
	for b.Loop() {
		r, err := RunScheduler(context.Background(), opts, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.PodsPerSec, "pods/s")
		b.ReportMetric(r.E2EP99Ms, "p99-ms")
	}
}
