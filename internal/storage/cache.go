package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Event is one change of one object as the cache saw it.
type Event struct {
	Type watch.EventType
	Key  string
	// Object is the new state; for a deletion, the last state with the
	// deletion's revision.
	Object runtime.Object
	// Prev is the state before the change, nil for an addition.
	Prev runtime.Object
	Rev  int64
}

// Cache mirrors one resource's objects from a single etcd watch and
// keeps a bounded window of recent events, so that lists and watches need
// no etcd round trip. Objects it hands out are shared: never mutate them.
type Cache struct {
	store    *Store
	capacity int
	log      *slog.Logger

	mu       sync.RWMutex
	objects  map[string]runtime.Object
	rev      int64
	advanced chan struct{} // closed and replaced whenever rev grows
	ring     []Event       // circular, len == capacity
	head, n  int
	// windowStart is the oldest revision a watch can start from.
	windowStart int64
	watchers    map[*cacheWatcher]struct{}
	ready       chan struct{}
}

// NewCache returns a cache over store keeping the last capacity events.
func NewCache(store *Store, capacity int, log *slog.Logger) *Cache {
	return &Cache{
		store: store, capacity: capacity, log: log,
		objects:  map[string]runtime.Object{},
		advanced: make(chan struct{}),
		ring:     make([]Event, capacity),
		watchers: map[*cacheWatcher]struct{}{},
		ready:    make(chan struct{}),
	}
}

// Run lists and watches etcd until ctx ends, relisting when the watch
// breaks. It returns nil when ctx is cancelled.
func (c *Cache) Run(ctx context.Context) error {
	first := true
	for ctx.Err() == nil {
		rev, err := c.relist(ctx)
		if err != nil {
			c.log.Warn("watch cache list", "prefix", c.store.Prefix, "err", err)
		} else {
			if first {
				close(c.ready)
				first = false
			}
			err = c.watch(ctx, rev)
			if err != nil && ctx.Err() == nil {
				c.log.Warn("watch cache watch broke; relisting", "prefix", c.store.Prefix, "err", err)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	c.terminateWatchers()
	return nil
}

// Ready is closed once the cache has listed for the first time.
func (c *Cache) Ready() <-chan struct{} { return c.ready }

func (c *Cache) relist(ctx context.Context) (int64, error) {
	res, err := c.store.List(ctx, c.store.Prefix, ListOptions{})
	if err != nil {
		return 0, err
	}
	objs := make(map[string]runtime.Object, len(res.Items))
	for _, o := range res.Items {
		objs[keyOf(c.store, o)] = o
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objects = objs
	c.head, c.n = 0, 0
	c.windowStart = res.Revision
	c.terminateWatchersLocked()
	c.advanceLocked(res.Revision)
	return res.Revision, nil
}

func (c *Cache) watch(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := c.store.client.Watch(wctx, c.store.Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithProgressNotify())
	for {
		// The in-process etcd client may not close wch promptly on
		// cancel, so ctx is watched here too.
		var resp clientv3.WatchResponse
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case resp, ok = <-wch:
		}
		if !ok {
			return ctx.Err()
		}
		if err := resp.Err(); err != nil {
			if errors.Is(err, rpctypes.ErrCompacted) {
				return fmt.Errorf("cache fell behind compaction: %w", err)
			}
			return err
		}
		if resp.IsProgressNotify() {
			c.mu.Lock()
			c.advanceLocked(resp.Header.Revision)
			c.mu.Unlock()
			continue
		}
		for _, ev := range resp.Events {
			if err := c.apply(ev); err != nil {
				return err
			}
		}
	}
}

func (c *Cache) apply(ev *clientv3.Event) error {
	key, rev := string(ev.Kv.Key), ev.Kv.ModRevision
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.objects[key]
	e := Event{Key: key, Prev: prev, Rev: rev}
	switch {
	case ev.Type == mvccpb.DELETE:
		if prev == nil {
			c.advanceLocked(rev)
			return nil
		}
		obj := prev.DeepCopyObject()
		setRV(obj, rev)
		e.Type, e.Object = watch.Deleted, obj
		delete(c.objects, key)
	default:
		obj, err := c.store.decode(ev.Kv.Value, rev)
		if err != nil {
			return err
		}
		e.Type, e.Object = watch.Modified, obj
		if prev == nil {
			e.Type = watch.Added
		}
		c.objects[key] = obj
	}
	c.pushLocked(e)
	c.advanceLocked(rev)
	for w := range c.watchers {
		if !w.offer(e) {
			c.removeLocked(w)
		}
	}
	return nil
}

func (c *Cache) pushLocked(e Event) {
	if c.n == c.capacity {
		c.windowStart = c.ring[c.head].Rev
		c.head = (c.head + 1) % c.capacity
		c.n--
	}
	c.ring[(c.head+c.n)%c.capacity] = e
	c.n++
}

func (c *Cache) advanceLocked(rev int64) {
	if rev <= c.rev {
		return
	}
	c.rev = rev
	close(c.advanced)
	c.advanced = make(chan struct{})
}

// Revision is the latest revision the cache has seen.
func (c *Cache) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rev
}

// WaitFresh blocks until the cache has seen revision rev, asking etcd for a
// progress notification so that quiet prefixes catch up too.
func (c *Cache) WaitFresh(ctx context.Context, rev int64) error {
	deadline := time.NewTimer(3 * time.Second)
	defer deadline.Stop()
	asked := false
	for {
		c.mu.RLock()
		cur, ch := c.rev, c.advanced
		c.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		if !asked {
			asked = true
			if err := c.store.client.RequestProgress(context.Background()); err != nil {
				c.log.Debug("request progress", "err", err)
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return apierrors.NewTimeoutError(fmt.Sprintf("Too large resource version: %d, current: %d", rev, cur), 1)
		}
	}
}

// WaitConsistent waits until the cache holds everything etcd has now.
func (c *Cache) WaitConsistent(ctx context.Context) error {
	rev, err := c.store.CurrentRevision(ctx)
	if err != nil {
		return err
	}
	return c.WaitFresh(ctx, rev)
}

// List returns the objects under prefix that match pred, in key order,
// and the revision they reflect.
func (c *Cache) List(prefix string, pred Predicate) ([]runtime.Object, int64) {
	c.mu.RLock()
	type kv struct {
		key string
		obj runtime.Object
	}
	var out []kv
	for k, o := range c.objects {
		if strings.HasPrefix(k, prefix) && pred.Matches(o) {
			out = append(out, kv{k, o})
		}
	}
	rev := c.rev
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	objs := make([]runtime.Object, len(out))
	for i := range out {
		objs[i] = out[i].obj
	}
	return objs, rev
}

// Get returns the cached object under key, or nil.
func (c *Cache) Get(key string) (runtime.Object, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.objects[key], c.rev
}

func keyOf(s *Store, obj runtime.Object) string {
	ns, name := namespaceName(obj)
	return s.Key(ns, name)
}
