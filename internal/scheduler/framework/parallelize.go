package framework

import (
	"context"
	"math"

	"k8s.io/client-go/util/workqueue"
)

// DefaultParallelism is how many goroutines work on the nodes at once, as
// kube-scheduler's default.
const DefaultParallelism = 16

// Parallelizer runs per-node work on a fixed number of goroutines.
type Parallelizer struct {
	workers int
}

// NewParallelizer returns a Parallelizer with workers goroutines (at
// least one).
func NewParallelizer(workers int) Parallelizer {
	return Parallelizer{workers: max(workers, 1)}
}

// Until calls fn(i) for every i in [0, pieces) and returns when all calls
// are done or ctx is cancelled (calls not yet started are then skipped).
func (p Parallelizer) Until(ctx context.Context, pieces int, fn func(i int)) {
	workqueue.ParallelizeUntil(ctx, p.workers, pieces, fn, workqueue.WithChunkSize(chunkSize(pieces, p.workers)))
}

// chunkSize balances handing out work one piece at a time (fair, but
// contended) against large chunks (cheap, but uneven).
func chunkSize(n, workers int) int {
	s := int(math.Sqrt(float64(n)))
	if r := n/workers + 1; s > r {
		s = r
	}
	return max(s, 1)
}
