package kubelet

import (
	"sync"
	"time"
)

const (
	// minRateWindow is the shortest interval a CPU rate is computed
	// over; a sample closer to the previous one keeps the previous rate,
	// as two requests a few milliseconds apart would give noise.
	minRateWindow = time.Second
	// rateTTL drops the samples of containers not seen for that long.
	rateTTL = 10 * time.Minute
)

// cpuRates turns cumulative CPU time into usageNanoCores as the
// Kubernetes kubelet's CRI stats provider does: the average rate since
// the previous sample of the same container, pod or node. It is safe for
// concurrent use.
type cpuRates struct {
	mu   sync.Mutex
	last map[string]cpuSample
}

type cpuSample struct {
	at    time.Time
	total uint64  // core-nanoseconds
	rate  *uint64 // nanocores; nil until two samples are known
}

func newCPURates() *cpuRates { return &cpuRates{last: map[string]cpuSample{}} }

// rate records total (core-nanoseconds used up to at) for key and
// returns the usage in nanocores since key's previous sample, or nil
// when there is none yet or the counter went backwards.
func (c *cpuRates) rate(key string, at time.Time, total uint64) *uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, ok := c.last[key]
	if ok && at.Sub(prev.at) < minRateWindow {
		return prev.rate
	}
	s := cpuSample{at: at, total: total}
	if ok && total >= prev.total {
		r := uint64(float64(total-prev.total) / at.Sub(prev.at).Seconds())
		s.rate = &r
	}
	c.last[key] = s
	return s.rate
}

// prune forgets samples older than rateTTL at now.
func (c *cpuRates) prune(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.last {
		if now.Sub(s.at) > rateTTL {
			delete(c.last, k)
		}
	}
}
