package prober

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Worker runs one probe of one container instance every periodSeconds,
// after initialDelaySeconds, until its context ends. A liveness or
// startup probe stops at its Failure verdict (the container is then
// killed and its successor gets a new worker); a startup probe also stops
// at Success.
type Worker struct {
	Kind  Kind
	Probe *corev1.Probe
	// Target is what the probe reaches.
	Target Target
	// After is the clock: it fires once after the duration. Default
	// time.After.
	After func(time.Duration) <-chan time.Time
	// Gate, if set, must return true for a probe to run: liveness and
	// readiness wait for the startup probe.
	Gate func() bool
	// OnProbe is called after every probe with its outcome and message.
	OnProbe func(r Result, msg string)
	// OnChange is called when the verdict changes.
	OnChange func(Result)
}

// Run probes until ctx ends or the probe is done, as described on Worker.
func (w *Worker) Run(ctx context.Context) {
	after := w.After
	if after == nil {
		after = time.After
	}
	t := NewTracker(w.Kind, w.Probe)
	period := time.Duration(max(1, w.Probe.PeriodSeconds)) * time.Second
	timeout := time.Duration(max(1, w.Probe.TimeoutSeconds)) * time.Second
	wait := time.Duration(w.Probe.InitialDelaySeconds) * time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
		wait = period
		if w.Gate != nil && !w.Gate() {
			continue
		}
		r, msg := Run(ctx, w.Probe.ProbeHandler, w.Target, timeout)
		if ctx.Err() != nil {
			return
		}
		if w.OnProbe != nil {
			w.OnProbe(r, msg)
		}
		if t.Observe(r) && w.OnChange != nil {
			w.OnChange(t.Result())
		}
		if w.done(t.Result()) {
			return
		}
	}
}

func (w *Worker) done(r Result) bool {
	switch w.Kind {
	case Liveness:
		return r == Failure
	case Startup:
		return r != Unknown
	}
	return false
}
