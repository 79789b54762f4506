package bench

import (
	"context"
	"io"
	"testing"
	"time"
)

// BenchmarkScheduler schedules 2000 pods on 500 nodes per iteration and
// reports throughput and latency; timing never fails it.
func BenchmarkScheduler(b *testing.B) {
	opts := SchedulerOptions{Cases: []SchedulerCase{{Name: "small", Nodes: 500, Pods: 2000}}, Clients: 16, DataDir: b.TempDir()}
	for b.Loop() {
		rs, err := RunScheduler(context.Background(), opts, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rs[0].PodsPerSec, "pods/s")
		b.ReportMetric(rs[0].AttemptP99Ms, "p99-ms")
	}
}

func TestPeakPerWindow(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	if got := peakPerWindow(at(0, 100, 1500, 1600, 1700, 2400, 2600), time.Second); got != 4 {
		t.Errorf("peak = %d, want 4 (1500..2400)", got)
	}
	if got := peakPerWindow(nil, time.Second); got != 0 {
		t.Errorf("peak of nothing = %d", got)
	}
}
