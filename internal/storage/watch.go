package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// WatchOptions say where a watch starts and what it sends.
type WatchOptions struct {
	// Revision: send the events after it. With SendInitialEvents the
	// current state is sent instead and Revision is only a freshness floor.
	Revision int64
	// SendInitialEvents sends every current object as ADDED first.
	SendInitialEvents bool
	// InitialEventsEnd marks the end of the initial events with a bookmark
	// annotated k8s.io/initial-events-end (the sendInitialEvents=true API).
	InitialEventsEnd bool
	// Bookmarks asks for periodic BOOKMARK events.
	Bookmarks bool
	Predicate Predicate
}

// watcherBuffer is how many events a watcher may lag behind before the
// cache drops it; the client then resumes from its last resourceVersion.
const watcherBuffer = 1024

// Watch streams the changes under prefix. The watch ends when ctx ends,
// when Stop is called, or when the client reads too slowly.
func (c *Cache) Watch(ctx context.Context, prefix string, opts WatchOptions) (watch.Interface, error) {
	if opts.Revision > 0 {
		if err := c.WaitFresh(ctx, opts.Revision); err != nil {
			return nil, err
		}
	}
	w := &cacheWatcher{
		cache: c, prefix: prefix, pred: opts.Predicate, bookmarks: opts.Bookmarks,
		input:  make(chan Event, watcherBuffer),
		result: make(chan watch.Event),
		done:   make(chan struct{}),
	}
	c.mu.Lock()
	initial, err := c.initialLocked(prefix, opts)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	endRev := int64(0)
	if opts.InitialEventsEnd {
		endRev = c.rev
	}
	c.watchers[w] = struct{}{}
	c.mu.Unlock()
	go w.run(ctx, initial, endRev)
	return w, nil
}

func (c *Cache) initialLocked(prefix string, opts WatchOptions) ([]Event, error) {
	if opts.SendInitialEvents {
		var evs []Event
		for k, o := range c.objects {
			if strings.HasPrefix(k, prefix) {
				evs = append(evs, Event{Type: watch.Added, Key: k, Object: o, Rev: c.rev})
			}
		}
		sort.Slice(evs, func(i, j int) bool { return evs[i].Key < evs[j].Key })
		return evs, nil
	}
	if opts.Revision < c.windowStart {
		return nil, apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", opts.Revision, c.windowStart))
	}
	var evs []Event
	for i := 0; i < c.n; i++ {
		e := c.ring[(c.head+i)%c.capacity]
		if e.Rev > opts.Revision && strings.HasPrefix(e.Key, prefix) {
			evs = append(evs, e)
		}
	}
	return evs, nil
}

// Bookmark sends a BOOKMARK with the current revision to every watcher
// that asked for them; events are ordered before it.
func (c *Cache) Bookmark() {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := Event{Type: watch.Bookmark, Rev: c.rev}
	for w := range c.watchers {
		if w.bookmarks && !w.offer(e) {
			c.removeLocked(w)
		}
	}
}

// RunBookmarks calls Bookmark every interval until ctx ends.
func (c *Cache) RunBookmarks(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.Bookmark()
		}
	}
}

func (c *Cache) removeLocked(w *cacheWatcher) {
	if _, ok := c.watchers[w]; ok {
		delete(c.watchers, w)
		close(w.input)
	}
}

func (c *Cache) terminateWatchersLocked() {
	for w := range c.watchers {
		c.removeLocked(w)
	}
}

func (c *Cache) terminateWatchers() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.terminateWatchersLocked()
}

// WatcherCount is the number of open watches.
func (c *Cache) WatcherCount() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.watchers)
}

type cacheWatcher struct {
	cache     *Cache
	prefix    string
	pred      Predicate
	bookmarks bool
	input     chan Event
	result    chan watch.Event
	done      chan struct{}
	stopOnce  sync.Once
}

func (w *cacheWatcher) ResultChan() <-chan watch.Event { return w.result }

func (w *cacheWatcher) Stop() {
	w.stopOnce.Do(func() {
		close(w.done)
		w.cache.mu.Lock()
		w.cache.removeLocked(w)
		w.cache.mu.Unlock()
	})
}

// offer queues e without blocking; false means the watcher is too slow.
func (w *cacheWatcher) offer(e Event) bool {
	if e.Type != watch.Bookmark && !strings.HasPrefix(e.Key, w.prefix) {
		return true
	}
	select {
	case w.input <- e:
		return true
	default:
		return false
	}
}

func (w *cacheWatcher) run(ctx context.Context, initial []Event, endRev int64) {
	defer close(w.result)
	defer w.Stop()
	for _, e := range initial {
		if !w.deliver(ctx, e) {
			return
		}
	}
	if endRev > 0 && !w.send(ctx, w.bookmark(endRev, true)) {
		return
	}
	for {
		select {
		case e, ok := <-w.input:
			if !ok || !w.deliver(ctx, e) {
				return
			}
		case <-w.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (w *cacheWatcher) deliver(ctx context.Context, e Event) bool {
	if e.Type == watch.Bookmark {
		return w.send(ctx, w.bookmark(e.Rev, false))
	}
	ev, ok := w.convert(e)
	if !ok {
		return true
	}
	return w.send(ctx, ev)
}

// convert applies the predicate the way Kubernetes does: an object that
// starts matching is ADDED, one that stops matching is DELETED.
func (w *cacheWatcher) convert(e Event) (watch.Event, bool) {
	cur := e.Type != watch.Deleted && w.pred.Matches(e.Object)
	prev := e.Prev != nil && w.pred.Matches(e.Prev)
	switch {
	case e.Type == watch.Deleted && prev:
		return watch.Event{Type: watch.Deleted, Object: e.Object}, true
	case cur && prev:
		return watch.Event{Type: watch.Modified, Object: e.Object}, true
	case cur:
		return watch.Event{Type: watch.Added, Object: e.Object}, true
	case prev:
		old := e.Prev.DeepCopyObject()
		setRV(old, e.Rev)
		return watch.Event{Type: watch.Deleted, Object: old}, true
	}
	return watch.Event{}, false
}

func (w *cacheWatcher) bookmark(rev int64, initialEnd bool) watch.Event {
	obj := w.cache.store.newObject()
	setRV(obj, rev)
	if initialEnd {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
		}
	}
	return watch.Event{Type: watch.Bookmark, Object: obj}
}

func (w *cacheWatcher) send(ctx context.Context, ev watch.Event) bool {
	select {
	case w.result <- ev:
		return true
	case <-w.done:
		return false
	case <-ctx.Done():
		return false
	}
}
