package bench

import (
	"sync"
	"time"
)

// ProcFigures are one process's CPU time and peak RSS over a phase;
// PeakAnonMiB is the peak of its private (anonymous) resident memory.
type ProcFigures struct {
	CPUSeconds  float64 `json:"cpuSeconds"`
	PeakRSSMiB  float64 `json:"peakRssMiB"`
	PeakAnonMiB float64 `json:"peakAnonMiB"`
}

// measure runs fn while sampling the processes' RSS every 250 ms; it
// returns fn's wall time and each process's figures, in pids' order.
func measure(pids []int, fn func() error) (time.Duration, []ProcFigures, error) {
	before := make([]usage, len(pids))
	peak, peakAnon := make([]int64, len(pids)), make([]int64, len(pids))
	sample := func(into []usage) {
		for i, pid := range pids {
			if u, err := pidUsage(pid); err == nil {
				into[i] = u
				peak[i] = max(peak[i], u.RSSBytes)
				peakAnon[i] = max(peakAnon[i], u.AnonBytes)
			}
		}
	}
	sample(before)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		scratch := make([]usage, len(pids))
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				sample(scratch)
			}
		}
	})
	start := time.Now()
	err := fn()
	wall := time.Since(start)
	close(stop)
	wg.Wait()
	after := make([]usage, len(pids))
	sample(after)
	figs := make([]ProcFigures, len(pids))
	for i := range pids {
		figs[i] = ProcFigures{CPUSeconds: (after[i].CPU - before[i].CPU).Seconds(), PeakRSSMiB: mib(peak[i]), PeakAnonMiB: mib(peakAnon[i])}
	}
	return wall, figs, err
}
