package kubelet

import (
	"testing"
	"time"
)

func TestProcCPU(t *testing.T) {
	stat := "cpu  100 20 30 4000 50 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\nbtime 1700000000\n"
	busy, boot, ok := procCPU(stat)
	// user+nice+system+irq+softirq = 163 ticks of 10ms.
	if !ok || busy != 163*10_000_000 || !boot.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("procCPU = %d, %v, %v; want 1630000000, boot 1700000000", busy, boot, ok)
	}
}

func TestNodeMemory(t *testing.T) {
	m := nodeMemory(map[string]int64{"MemTotal": 1000, "MemFree": 300, "Inactive(file)": 200, "AnonPages": 250}, statsT0)
	if *m.UsageBytes != 700 || *m.WorkingSetBytes != 500 || *m.AvailableBytes != 500 || *m.RSSBytes != 250 {
		t.Fatalf("usage %d working set %d available %d rss %d; want 700 500 500 250", *m.UsageBytes, *m.WorkingSetBytes, *m.AvailableBytes, *m.RSSBytes)
	}
}
