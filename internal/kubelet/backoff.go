package kubelet

import (
	"sync"
	"time"
)

// Container restart back-off, as the Kubernetes kubelet: the first
// restart is immediate, then 10 s, doubling to at most 5 min; an entry
// untouched for twice the maximum starts over.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 5 * time.Minute
)

// backoff remembers, per key (pod UID and container name), the current
// delay and when it was last raised. Safe for concurrent use.
type backoff struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]backoffEntry
}

type backoffEntry struct {
	delay   time.Duration
	updated time.Time
}

func newBackoff(now func() time.Time) *backoff {
	return &backoff{now: now, entries: map[string]backoffEntry{}}
}

// wait returns how much longer a container that finished at finishedAt
// must wait before its next start; 0 means start it now, and then the
// next delay is raised (10 s, 20 s, ... 5 min).
func (b *backoff) wait(key string, finishedAt time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	e, ok := b.entries[key]
	if ok && now.Sub(e.updated) > 2*backoffMax {
		ok = false
	}
	if ok {
		if left := finishedAt.Add(e.delay).Sub(now); left > 0 {
			return left
		}
	}
	switch {
	case !ok:
		e.delay = backoffInitial
	default:
		e.delay = min(2*e.delay, backoffMax)
	}
	e.updated = now
	b.entries[key] = e
	return 0
}

// forget drops every key with the prefix (a pod's UID).
func (b *backoff) forget(prefix string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.entries {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			delete(b.entries, k)
		}
	}
}
