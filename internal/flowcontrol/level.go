package flowcontrol

import (
	"context"
	"sync"
	"time"
)

// Why a request was rejected, as Kubernetes' rejected_requests_total
// reason label names it.
const (
	reasonQueueFull        = "queue-full"
	reasonConcurrencyLimit = "concurrency-limit"
	reasonTimeout          = "time-out"
	reasonCancelled        = "cancelled"
)

// limits is a Limited level's configuration.
type limits struct {
	// seats is the concurrency limit.
	seats int
	// queues, handSize and queueLength are zero when the level rejects
	// instead of queueing.
	queues, handSize, queueLength int
}

// level is a Limited priority level's seats and queues. It outlives
// configuration changes so that requests waiting in it are not lost.
type level struct {
	mu        sync.Mutex
	lim       limits
	executing int
	queues    [][]*waiter
	// next is where the round-robin over queues resumes.
	next int
	// waitLimit is how long a request may wait in a queue.
	waitLimit time.Duration
}

type waiter struct {
	ready    chan struct{}
	admitted bool
}

func newLevel(l limits, waitLimit time.Duration) *level {
	lv := &level{waitLimit: waitLimit}
	lv.configure(l)
	return lv
}

// configure applies new limits; waiting requests stay queued (those in
// queues that no longer exist are moved to the remaining ones) and are
// dispatched if there are now seats.
func (lv *level) configure(l limits) {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if lv.queues != nil && lv.lim == l {
		return
	}
	var waiting []*waiter
	for _, q := range lv.queues {
		waiting = append(waiting, q...)
	}
	lv.lim = l
	lv.queues = make([][]*waiter, max(l.queues, 1))
	lv.next = 0
	for i, w := range waiting {
		lv.queues[i%len(lv.queues)] = append(lv.queues[i%len(lv.queues)], w)
	}
	lv.dispatchLocked()
}

// acquire takes a seat, waiting in a queue of the flow's hand when the
// level is full. It returns the rejection reason, or "" with a seat the
// caller must give back with release. flow is called only when the
// request has to queue.
func (lv *level) acquire(ctx context.Context, flow func() uint64, queued func(delta float64)) string {
	lv.mu.Lock()
	if lv.executing < lv.lim.seats && lv.emptyLocked() {
		lv.executing++
		lv.mu.Unlock()
		return ""
	}
	if lv.lim.queueLength == 0 {
		lv.mu.Unlock()
		return reasonConcurrencyLimit
	}
	q := lv.shortestLocked(flow())
	if len(lv.queues[q]) >= lv.lim.queueLength {
		lv.mu.Unlock()
		return reasonQueueFull
	}
	w := &waiter{ready: make(chan struct{})}
	lv.queues[q] = append(lv.queues[q], w)
	lv.mu.Unlock()
	queued(1)
	defer queued(-1)
	timer := time.NewTimer(lv.waitLimit)
	defer timer.Stop()
	reason := ""
	select {
	case <-w.ready:
		return ""
	case <-ctx.Done():
		reason = reasonCancelled
	case <-timer.C:
		reason = reasonTimeout
	}
	if lv.withdraw(w) {
		return reason
	}
	// Dispatched meanwhile: the seat is ours.
	return ""
}

// withdraw takes w out of its queue; false means it was already admitted.
func (lv *level) withdraw(w *waiter) bool {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if w.admitted {
		return false
	}
	for i, q := range lv.queues {
		for j, x := range q {
			if x == w {
				lv.queues[i] = append(q[:j:j], q[j+1:]...)
				return true
			}
		}
	}
	return true
}

// release gives a seat back and admits waiting requests.
func (lv *level) release() {
	lv.mu.Lock()
	lv.executing--
	lv.dispatchLocked()
	lv.mu.Unlock()
}

// dispatchLocked admits the heads of the queues, taking the queues in
// turn so that one busy flow cannot starve the others.
func (lv *level) dispatchLocked() {
	for lv.executing < lv.lim.seats && !lv.emptyLocked() {
		for len(lv.queues[lv.next]) == 0 {
			lv.next = (lv.next + 1) % len(lv.queues)
		}
		q := lv.queues[lv.next]
		w := q[0]
		lv.queues[lv.next] = q[1:]
		lv.next = (lv.next + 1) % len(lv.queues)
		w.admitted = true
		close(w.ready)
		lv.executing++
	}
}

func (lv *level) emptyLocked() bool {
	for _, q := range lv.queues {
		if len(q) > 0 {
			return false
		}
	}
	return true
}

// shortestLocked deals the flow its hand of queues and picks the one
// with the fewest waiting requests.
func (lv *level) shortestLocked(flow uint64) int {
	best := -1
	for _, q := range deal(flow, len(lv.queues), lv.lim.handSize) {
		if best < 0 || len(lv.queues[q]) < len(lv.queues[best]) {
			best = q
		}
	}
	return best
}
