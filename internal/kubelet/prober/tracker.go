package prober

import corev1 "k8s.io/api/core/v1"

// Result is a probe's outcome, or a tracker's current verdict.
type Result int

// Results. Unknown is a startup probe's verdict before it decided.
const (
	Unknown Result = iota
	Success
	Failure
)

func (r Result) String() string {
	switch r {
	case Success:
		return "Success"
	case Failure:
		return "Failure"
	}
	return "Unknown"
}

// Kind is what a probe decides: whether to restart (Liveness), to route
// traffic (Readiness) or that the container has started (Startup).
type Kind string

// Probe kinds, spelled as in events ("Liveness probe failed: ...").
const (
	Liveness  Kind = "Liveness"
	Readiness Kind = "Readiness"
	Startup   Kind = "Startup"
)

// Tracker applies successThreshold and failureThreshold to a sequence of
// probe outcomes. It starts where Kubernetes does: a liveness probe
// passes, a readiness probe fails and a startup probe is undecided until
// their first verdict.
type Tracker struct {
	successThreshold, failureThreshold int32
	result                             Result
	// run counts consecutive outcomes equal to last.
	last Result
	run  int32
}

// NewTracker returns the tracker for probe p of kind k; zero thresholds
// take the API defaults (1 and 3).
func NewTracker(k Kind, p *corev1.Probe) *Tracker {
	t := &Tracker{successThreshold: max(1, p.SuccessThreshold), failureThreshold: p.FailureThreshold}
	if t.failureThreshold <= 0 {
		t.failureThreshold = 3
	}
	switch k {
	case Liveness:
		t.result = Success
	case Readiness:
		t.result = Failure
	}
	return t
}

// Result is the current verdict.
func (t *Tracker) Result() Result { return t.result }

// Observe records one outcome and reports whether the verdict changed.
func (t *Tracker) Observe(r Result) bool {
	if r == t.last {
		t.run++
	} else {
		t.last, t.run = r, 1
	}
	threshold := t.failureThreshold
	if r == Success {
		threshold = t.successThreshold
	}
	if r == t.result || t.run < threshold {
		return false
	}
	t.result = r
	return true
}
