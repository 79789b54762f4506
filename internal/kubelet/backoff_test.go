package kubelet

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newBackoff(func() time.Time { return now })
	// Each step: the container finished `ranFor` after the previous
	// start, we look `after` later; want is the wait reported.
	steps := []struct {
		after time.Duration
		want  time.Duration
	}{
		{0, 0},                              // first crash: restart now, delay becomes 10s
		{1 * time.Second, 9 * time.Second},  // crashed again at once: wait the rest of 10s
		{10 * time.Second, 0},               // 10s after finishing: restart, delay 20s
		{5 * time.Second, 15 * time.Second}, // wait the rest of 20s
		{20 * time.Second, 0},               // delay 40s
		{40 * time.Second, 0},               // 80s
		{80 * time.Second, 0},               // 160s
		{160 * time.Second, 0},              // 300s (capped)
		{299 * time.Second, time.Second},    // capped at 5 min
		{300 * time.Second, 0},
	}
	finished := now
	for i, s := range steps {
		now = finished.Add(s.after)
		if got := b.wait("uid/c", finished); got != s.want {
			t.Fatalf("step %d: wait %v, want %v", i, got, s.want)
		}
		if s.want == 0 {
			finished = now
		}
	}
	// Untouched for more than 10 minutes: starts over at 10s.
	now = now.Add(11 * time.Minute)
	finished = now
	if got := b.wait("uid/c", finished); got != 0 {
		t.Fatalf("after reset: %v", got)
	}
	now = now.Add(time.Second)
	if got := b.wait("uid/c", finished); got != 9*time.Second {
		t.Fatalf("after reset, second crash: %v, want 9s", got)
	}
	b.forget("uid/")
	if got := b.wait("uid/c", finished); got != 0 {
		t.Fatalf("after forget: %v", got)
	}
}
