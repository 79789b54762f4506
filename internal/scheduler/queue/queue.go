// Package queue is the scheduling queue: pods waiting to be scheduled, in
// three sub-queues as kube-scheduler's. activeQ holds pods ready to be
// tried, highest priority first; backoffQ holds pods waiting out their
// backoff (1s doubling to 10s per attempt); unschedulable holds pods that
// did not fit until a cluster event that may change that moves them back,
// or until they have waited 5 minutes.
package queue

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Kubernetes' defaults.
const (
	DefaultInitialBackoff      = time.Second
	DefaultMaxBackoff          = 10 * time.Second
	DefaultMaxInUnschedulable  = 5 * time.Minute
	backoffFlushInterval       = time.Second
	unschedulableFlushInterval = 30 * time.Second
)

// UnschedulableTimeout is the event that moves pods that waited too long.
var UnschedulableTimeout = framework.ClusterEvent{Resource: framework.WildCard, Action: framework.All, Label: "UnschedulableTimeout"}

// ErrClosed is returned by Pop once the queue is closed.
var ErrClosed = errors.New("scheduling queue is closed")

// QueuedPodInfo is a pod in the queue with its scheduling history.
type QueuedPodInfo struct {
	*framework.PodInfo
	// Timestamp is when the pod last entered the queue.
	Timestamp time.Time
	// InitialAttemptTimestamp is when the pod was first popped.
	InitialAttemptTimestamp time.Time
	// Attempts counts scheduling attempts.
	Attempts int
	// UnschedulablePlugins are the plugins that rejected the pod in its
	// last attempt; the queue moves it back only on events they care about.
	UnschedulablePlugins map[string]bool
	// Gated is set while the pod has scheduling gates.
	Gated bool
}

// Config configures a PriorityQueue; zero durations take the defaults.
type Config struct {
	Clock              clock.WithTicker
	InitialBackoff     time.Duration
	MaxBackoff         time.Duration
	MaxInUnschedulable time.Duration
	// PluginEvents are the cluster events each plugin registered.
	PluginEvents map[string][]framework.ClusterEvent
}

// PriorityQueue is the scheduling queue. It also tracks nominated pods.
type PriorityQueue struct {
	cfg  Config
	mu   sync.Mutex
	cond *sync.Cond

	active        *keyedHeap[*QueuedPodInfo]
	backoff       *keyedHeap[*QueuedPodInfo]
	unschedulable map[string]*QueuedPodInfo
	// inFlight holds pods popped and not yet Done, with the newest version
	// of each seen meanwhile.
	inFlight map[string]*corev1.Pod

	schedulingCycle  int64
	moveRequestCycle int64
	closed           bool

	nominated   map[string][]*framework.PodInfo // by node
	nominatedOn map[types.UID]string
	// nominatedCount is len(nominatedOn), read without mu: filters ask for
	// every node's nominated pods, and there are usually none.
	nominatedCount atomic.Int64
}

// New returns an empty queue.
func New(cfg Config) *PriorityQueue {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.InitialBackoff == 0 {
		cfg.InitialBackoff = DefaultInitialBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxInUnschedulable == 0 {
		cfg.MaxInUnschedulable = DefaultMaxInUnschedulable
	}
	q := &PriorityQueue{
		cfg:              cfg,
		unschedulable:    map[string]*QueuedPodInfo{},
		inFlight:         map[string]*corev1.Pod{},
		nominated:        map[string][]*framework.PodInfo{},
		nominatedOn:      map[types.UID]string{},
		moveRequestCycle: -1,
	}
	q.cond = sync.NewCond(&q.mu)
	q.active = newKeyedHeap(qkey, activeLess)
	q.backoff = newKeyedHeap(qkey, q.backoffLess)
	return q
}

// Key returns the queue's key of a pod: namespace/name.
func Key(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

func qkey(p *QueuedPodInfo) string { return Key(p.Pod) }

// activeLess orders by priority, higher first, then by time in queue.
func activeLess(a, b *QueuedPodInfo) bool {
	pa, pb := framework.PodPriority(a.Pod), framework.PodPriority(b.Pod)
	return pa > pb || (pa == pb && a.Timestamp.Before(b.Timestamp))
}

func (q *PriorityQueue) backoffLess(a, b *QueuedPodInfo) bool {
	return q.backoffExpiry(a).Before(q.backoffExpiry(b))
}

// backoffDuration is InitialBackoff doubled per attempt after the first,
// at most MaxBackoff.
func (q *PriorityQueue) backoffDuration(p *QueuedPodInfo) time.Duration {
	d := q.cfg.InitialBackoff
	for i := 1; i < p.Attempts; i++ {
		if d >= q.cfg.MaxBackoff/2 {
			return q.cfg.MaxBackoff
		}
		d *= 2
	}
	return min(d, q.cfg.MaxBackoff)
}

func (q *PriorityQueue) backoffExpiry(p *QueuedPodInfo) time.Time {
	return p.Timestamp.Add(q.backoffDuration(p))
}

func (q *PriorityQueue) backingOff(p *QueuedPodInfo) bool {
	return p.Attempts > 0 && q.backoffExpiry(p).After(q.cfg.Clock.Now())
}

func (q *PriorityQueue) newQueued(pod *corev1.Pod) *QueuedPodInfo {
	return &QueuedPodInfo{PodInfo: framework.NewPodInfo(pod), Timestamp: q.cfg.Clock.Now(), Gated: len(pod.Spec.SchedulingGates) > 0}
}

// Add queues a new pending pod: in activeQ, or among the unschedulable
// pods while it has scheduling gates.
func (q *PriorityQueue) Add(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := Key(pod)
	if _, ok := q.inFlight[k]; ok {
		q.inFlight[k] = pod
		return
	}
	q.deleteLocked(k)
	q.addNewLocked(q.newQueued(pod))
	q.updateNominatedLocked(nil, pod)
}

func (q *PriorityQueue) addNewLocked(p *QueuedPodInfo) {
	if p.Gated {
		q.unschedulable[qkey(p)] = p
		return
	}
	q.active.AddOrUpdate(p)
	q.cond.Broadcast()
}

// Update replaces a pending pod. A pod waiting as unschedulable whose spec
// or labels changed is retried (after its backoff), since the change may
// make it fit.
func (q *PriorityQueue) Update(oldPod, newPod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := Key(newPod)
	q.updateNominatedLocked(oldPod, newPod)
	if cur, ok := q.inFlight[k]; ok {
		if podChanged(cur, newPod) {
			q.moveRequestCycle = q.schedulingCycle
		}
		q.inFlight[k] = newPod
		return
	}
	if p, ok := q.active.Get(k); ok {
		p.update(newPod)
		q.active.AddOrUpdate(p)
		return
	}
	if p, ok := q.backoff.Get(k); ok {
		p.update(newPod)
		q.backoff.AddOrUpdate(p)
		return
	}
	p, ok := q.unschedulable[k]
	if !ok {
		q.addNewLocked(q.newQueued(newPod))
		return
	}
	changed := podChanged(p.Pod, newPod)
	p.update(newPod)
	if !changed {
		return
	}
	delete(q.unschedulable, k)
	p.Gated = len(newPod.Spec.SchedulingGates) > 0
	if p.Gated {
		q.unschedulable[k] = p
		return
	}
	q.requeueLocked(p)
}

func (p *QueuedPodInfo) update(pod *corev1.Pod) {
	p.PodInfo = framework.NewPodInfo(pod)
}

// podChanged reports whether anything but the status and bookkeeping
// metadata changed, so that our own status writes do not retry the pod.
func podChanged(a, b *corev1.Pod) bool {
	return !equality.Semantic.DeepEqual(a.Spec, b.Spec) || !equality.Semantic.DeepEqual(a.Labels, b.Labels) ||
		!equality.Semantic.DeepEqual(a.Annotations, b.Annotations)
}

// requeueLocked puts p in backoffQ if it is still backing off, else in
// activeQ.
func (q *PriorityQueue) requeueLocked(p *QueuedPodInfo) {
	if q.backingOff(p) {
		q.backoff.AddOrUpdate(p)
		return
	}
	q.active.AddOrUpdate(p)
	q.cond.Broadcast()
}

// Delete removes a pod from the queue and from the nominations; an
// attempt in flight is then not requeued.
func (q *PriorityQueue) Delete(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.deleteLocked(Key(pod))
	delete(q.inFlight, Key(pod))
	q.deleteNominatedLocked(pod.UID)
}

func (q *PriorityQueue) deleteLocked(k string) {
	q.active.Delete(k)
	q.backoff.Delete(k)
	delete(q.unschedulable, k)
}

// Pop blocks until a pod is in activeQ and returns it, counting an
// attempt. The caller must call Done when the attempt ends.
func (q *PriorityQueue) Pop(ctx context.Context) (*QueuedPodInfo, error) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 {
		if q.closed {
			return nil, ErrClosed
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		q.cond.Wait()
	}
	p, _ := q.active.Pop()
	q.schedulingCycle++
	p.Attempts++
	if p.InitialAttemptTimestamp.IsZero() {
		p.InitialAttemptTimestamp = q.cfg.Clock.Now()
	}
	q.inFlight[qkey(p)] = p.Pod
	return p, nil
}

// SchedulingCycle returns the number of pods popped so far.
func (q *PriorityQueue) SchedulingCycle() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.schedulingCycle
}

// Done ends the attempt of a popped pod.
func (q *PriorityQueue) Done(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.inFlight, Key(pod))
}

// AddUnschedulableIfNotPresent returns a pod whose attempt in cycle
// failed. It waits among the unschedulable pods, unless the attempt failed
// with an error (no plugin rejected it) or a cluster event arrived during
// the attempt: then it only waits out its backoff. A pod deleted during
// the attempt is dropped.
func (q *PriorityQueue) AddUnschedulableIfNotPresent(p *QueuedPodInfo, cycle int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := qkey(p)
	latest, inFlight := q.inFlight[k]
	delete(q.inFlight, k)
	if !inFlight {
		return // deleted meanwhile
	}
	if _, ok := q.active.Get(k); ok {
		return
	}
	if _, ok := q.backoff.Get(k); ok {
		return
	}
	if _, ok := q.unschedulable[k]; ok {
		return
	}
	if latest != p.Pod {
		p.update(latest)
	}
	p.Timestamp = q.cfg.Clock.Now()
	if q.moveRequestCycle >= cycle || len(p.UnschedulablePlugins) == 0 {
		q.backoff.AddOrUpdate(p)
		return
	}
	q.unschedulable[k] = p
}

// MoveAllToActiveOrBackoffQueue moves the unschedulable pods that a
// plugin interested in event rejected; pass framework.WildCard events to
// move all. Pods still backing off go to backoffQ.
func (q *PriorityQueue) MoveAllToActiveOrBackoffQueue(event framework.ClusterEvent, preCheck func(*corev1.Pod) bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveLocked(event, preCheck, func(*QueuedPodInfo) bool { return true })
}

func (q *PriorityQueue) moveLocked(event framework.ClusterEvent, preCheck func(*corev1.Pod) bool, eligible func(*QueuedPodInfo) bool) {
	for k, p := range q.unschedulable {
		if p.Gated || !eligible(p) || !q.interested(p, event) || (preCheck != nil && !preCheck(p.Pod)) {
			continue
		}
		delete(q.unschedulable, k)
		q.requeueLocked(p)
	}
	q.moveRequestCycle = q.schedulingCycle
}

// interested reports whether a plugin that rejected p registered event.
func (q *PriorityQueue) interested(p *QueuedPodInfo, event framework.ClusterEvent) bool {
	if event.Resource == framework.WildCard || len(p.UnschedulablePlugins) == 0 {
		return true
	}
	for name := range p.UnschedulablePlugins {
		events, ok := q.cfg.PluginEvents[name]
		if !ok {
			return true
		}
		for _, e := range events {
			if e.Matches(event) {
				return true
			}
		}
	}
	return false
}

// Run flushes completed backoffs every second and unschedulable pods
// older than MaxInUnschedulable every 30 seconds, until ctx ends; then it
// closes the queue.
func (q *PriorityQueue) Run(ctx context.Context) {
	defer q.Close()
	backoff := q.cfg.Clock.NewTicker(backoffFlushInterval)
	defer backoff.Stop()
	leftover := q.cfg.Clock.NewTicker(unschedulableFlushInterval)
	defer leftover.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-backoff.C():
			q.flushBackoffCompleted()
		case <-leftover.C():
			q.flushUnschedulableLeftover()
		}
	}
}

// flushBackoffCompleted moves pods whose backoff ended to activeQ.
func (q *PriorityQueue) flushBackoffCompleted() {
	q.mu.Lock()
	defer q.mu.Unlock()
	moved := false
	for {
		p, ok := q.backoff.Peek()
		if !ok || q.backingOff(p) {
			break
		}
		q.backoff.Pop()
		q.active.AddOrUpdate(p)
		moved = true
	}
	if moved {
		q.cond.Broadcast()
	}
}

// flushUnschedulableLeftover retries pods unschedulable for too long.
func (q *PriorityQueue) flushUnschedulableLeftover() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Clock.Now()
	q.moveLocked(UnschedulableTimeout, nil, func(p *QueuedPodInfo) bool {
		return now.Sub(p.Timestamp) > q.cfg.MaxInUnschedulable
	})
}

// Close wakes Pop callers, which then get ErrClosed.
func (q *PriorityQueue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// Pending counts the pods in each sub-queue.
func (q *PriorityQueue) Pending() (active, backoff, unschedulable, gated int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range q.unschedulable {
		if p.Gated {
			gated++
		}
	}
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable) - gated, gated
}

// SetPluginEvents sets the cluster events each plugin registered, before
// the queue is used.
func (q *PriorityQueue) SetPluginEvents(events map[string][]framework.ClusterEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cfg.PluginEvents = events
}
