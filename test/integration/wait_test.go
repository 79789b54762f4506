package integration

import (
	"testing"
	"time"
)

// waitFor polls cond every 50 ms for up to 10 s; what names the awaited
// state in the failure message.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
