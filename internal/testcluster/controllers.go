package testcluster

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/manager"
)

// RunControllers runs the given controllers against the cluster until the
// test ends. opts may be nil for Kubernetes' defaults.
func (c *Cluster) RunControllers(t testing.TB, ctors map[string]controllerctx.Constructor, opts *controllerctx.Options) {
	t.Helper()
	o := controllerctx.Defaults()
	if opts != nil {
		o = *opts
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m, err := manager.New(manager.Config{REST: c.Config, Options: o, Log: log, Constructors: ctors})
	if err != nil {
		t.Fatal(err)
	}
	c.runBackground(t, "controllers", m.Run)
}

// runBackground runs fn until the test ends and fails the test if fn
// returns an error before that.
func (c *Cluster) runBackground(t testing.TB, what string, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop within 30s", what)
		}
	})
}
