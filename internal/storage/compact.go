package storage

import (
	"context"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Maintainer reports etcd's backend size and defragments it.
type Maintainer interface {
	// Sizes returns the backend's size on disk and the part in use.
	Sizes(ctx context.Context) (total, inUse int64, err error)
	Defrag(ctx context.Context) error
}

// Compactor compacts etcd history older than Interval, as Kubernetes'
// API server does, so that the database does not grow without bound, and
// defragments the backend when most of it is free space.
type Compactor struct {
	Client   *clientv3.Client
	Interval time.Duration
	Maint    Maintainer // nil: never defragment
	Log      *slog.Logger
}

// defragMinBytes is the backend size below which defragmenting is not
// worth the pause it causes.
const defragMinBytes = 64 << 20

// Run compacts every Interval until ctx ends. Each pass compacts to the
// revision seen one pass earlier, so at least Interval of history stays.
func (c *Compactor) Run(ctx context.Context) error {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cur, err := c.compact(ctx, last)
		if err != nil {
			c.Log.Warn("etcd compaction", "err", err)
			continue
		}
		last = cur
		c.maybeDefrag(ctx)
	}
}

// compact compacts to rev (if set) and returns the current revision.
func (c *Compactor) compact(ctx context.Context, rev int64) (int64, error) {
	resp, err := c.Client.Get(ctx, "compact_rev_key", clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	if rev > 0 {
		if _, err := c.Client.Compact(ctx, rev); err != nil {
			return resp.Header.Revision, err
		}
		c.Log.Debug("compacted etcd", "revision", rev)
	}
	return resp.Header.Revision, nil
}

func (c *Compactor) maybeDefrag(ctx context.Context) {
	if c.Maint == nil {
		return
	}
	total, inUse, err := c.Maint.Sizes(ctx)
	if err != nil || total < defragMinBytes || inUse*2 > total {
		return
	}
	start := time.Now()
	if err := c.Maint.Defrag(ctx); err != nil {
		c.Log.Warn("etcd defragment", "err", err)
		return
	}
	c.Log.Info("defragmented etcd", "before", total, "inUse", inUse, "took", time.Since(start))
}
