package flowcontrol

import (
	"context"
	"errors"
	"time"

	fc "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// retryEvery is how long Run waits after a failed watch or write.
const retryEvery = time.Second

// config is the stored configuration as the watches last showed it.
type config struct {
	schemas map[string]*fc.FlowSchema
	levels  map[string]*fc.PriorityLevelConfiguration
}

// Run writes the bootstrap configuration, then follows the stored
// FlowSchemas and PriorityLevelConfigurations: each change rebuilds the
// snapshot, restores bootstrap objects that went missing or, when
// mandatory, changed, and updates the schemas' Dangling condition. It
// returns nil when ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := c.follow(ctx)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, errWatchEnded):
			// The watch cache ends watches when it relists: list again.
			c.cfg.Log.Debug("flow control configuration watch ended")
			sleep(ctx, retryEvery)
		case err != nil:
			c.cfg.Log.Warn("flow control configuration", "err", err)
			sleep(ctx, retryEvery)
		}
	}
	return nil
}

// follow lists both kinds, then follows their watches until one ends.
func (c *Controller) follow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cur := config{schemas: map[string]*fc.FlowSchema{}, levels: map[string]*fc.PriorityLevelConfiguration{}}
	fsw, err := listWatch(ctx, c.cfg.FlowSchemas, cur.schemas)
	if err != nil {
		return err
	}
	defer fsw.Stop()
	plw, err := listWatch(ctx, c.cfg.PriorityLevels, cur.levels)
	if err != nil {
		return err
	}
	defer plw.Stop()
	for {
		c.settle(ctx, &cur)
		// Wait for a change, then take every change already there, so
		// that a burst of writes rebuilds once.
		for wait := true; ; wait = false {
			var ok bool
			if ok, err = next(ctx, fsw, plw, &cur, wait); err != nil || ctx.Err() != nil {
				return err
			}
			if !ok {
				break
			}
		}
	}
}

// next applies one event; without wait it returns false when none is ready.
func next(ctx context.Context, fsw, plw watch.Interface, cur *config, wait bool) (bool, error) {
	var idle <-chan time.Time
	if !wait {
		t := time.NewTimer(0)
		defer t.Stop()
		idle = t.C
	}
	select {
	case ev, ok := <-fsw.ResultChan():
		if !ok {
			return false, errWatchEnded
		}
		apply(cur.schemas, ev)
	case ev, ok := <-plw.ResultChan():
		if !ok {
			return false, errWatchEnded
		}
		apply(cur.levels, ev)
	case <-ctx.Done():
		return false, nil
	case <-idle:
		return false, nil
	}
	return true, nil
}

var errWatchEnded = errors.New("watch ended")

// listWatch fills m with the stored objects and watches from there.
func listWatch[T named](ctx context.Context, st *generic.Store, m map[string]T) (watch.Interface, error) {
	list, err := st.List(ctx, "", generic.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	for _, obj := range items {
		if o, ok := obj.(T); ok {
			m[o.GetName()] = o
		}
	}
	rv, err := meta.NewAccessor().ResourceVersion(list)
	if err != nil {
		return nil, err
	}
	return st.Watch(ctx, "", generic.WatchOptions{ListOptions: generic.ListOptions{ResourceVersion: rv}})
}

// settle rebuilds the snapshot and writes what the configuration lacks.
func (c *Controller) settle(ctx context.Context, cur *config) {
	c.snap.Store(build(values(cur.schemas), values(cur.levels), c.cfg.ServerSeats, c.levels, c.metrics, queueWaitLimit))
	if err := c.ensure(ctx, cur); err != nil {
		c.cfg.Log.Warn("flow control bootstrap configuration", "err", err)
	}
	if err := c.updateConditions(ctx, cur); err != nil {
		c.cfg.Log.Warn("flow schema conditions", "err", err)
	}
}

type named interface {
	runtime.Object
	GetName() string
}

func apply[T named](m map[string]T, ev watch.Event) {
	obj, ok := ev.Object.(T)
	if !ok {
		return
	}
	switch ev.Type {
	case watch.Added, watch.Modified:
		m[obj.GetName()] = obj
	case watch.Deleted:
		delete(m, obj.GetName())
	}
}

func values[T any](m map[string]T) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
