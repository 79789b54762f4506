package kubelet

import (
	"context"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// EvictionPolicy configures the eviction manager; zero values take
// Kubernetes' defaults.
type EvictionPolicy struct {
	// Hard are the hard thresholds; nil means DefaultEvictionHard, an
	// empty non-nil list disables eviction.
	Hard []Threshold
	// Period is how often signals are measured. Default 10s.
	Period time.Duration
	// PressureTransitionPeriod is how long a pressure condition stays
	// True after its threshold was last met. Default 5m.
	PressureTransitionPeriod time.Duration
}

func (p *EvictionPolicy) setDefaults() {
	if p.Hard == nil {
		p.Hard, _ = ParseThresholds(DefaultEvictionHard)
	}
	if p.Period == 0 {
		p.Period = 10 * time.Second
	}
	if p.PressureTransitionPeriod == 0 {
		p.PressureTransitionPeriod = 5 * time.Minute
	}
}

// evictionState is what the eviction manager shares with node status
// and the pod workers; its zero value is ready to use.
type evictionState struct {
	mu sync.Mutex
	// memoryMetAt and diskMetAt are when a memory or disk threshold was
	// last met.
	memoryMetAt, diskMetAt time.Time
	// requested are the pods being evicted, with their status message.
	requested map[types.UID]string
}

// pressure reports MemoryPressure and DiskPressure at now: a threshold
// met within the transition period.
func (s *evictionState) pressure(now time.Time, transition time.Duration) (memory, disk bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	within := func(t time.Time) bool { return !t.IsZero() && now.Sub(t) < transition }
	return within(s.memoryMetAt), within(s.diskMetAt)
}

// record notes the thresholds met at now.
func (s *evictionState) record(met []thresholdMet, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range met {
		if m.Signal.isMemory() {
			s.memoryMetAt = now
		} else {
			s.diskMetAt = now
		}
	}
}

// request marks a pod for eviction; it reports false if it already was.
func (s *evictionState) request(uid types.UID, msg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requested[uid]; ok {
		return false
	}
	if s.requested == nil {
		s.requested = map[types.UID]string{}
	}
	s.requested[uid] = msg
	return true
}

// requestedFor returns the eviction message of a pod marked for eviction.
func (s *evictionState) requestedFor(uid types.UID) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := s.requested[uid]
	return msg, ok
}

// prune forgets evictions of pods that are done (finished or gone) and
// reports whether any is still under way.
func (s *evictionState) prune(active map[types.UID]bool) (pending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for uid := range s.requested {
		if active[uid] {
			pending = true
		} else {
			delete(s.requested, uid)
		}
	}
	return pending
}

// nodePods lists this node's pods (the lister may be shared by the
// kubelets of a process).
func (k *Kubelet) nodePods() []*corev1.Pod {
	all, _ := k.pods.List(labels.Everything())
	var out []*corev1.Pod
	for _, p := range all {
		if p.Spec.NodeName == k.cfg.NodeName {
			out = append(out, p)
		}
	}
	return out
}

// evictionLoop runs the eviction manager every Period until ctx ends.
// It does nothing without thresholds, or for a node whose capacity is
// not the machine's (hollow nodes), whose signals it cannot measure.
func (k *Kubelet) evictionLoop(ctx context.Context) {
	if len(k.cfg.Eviction.Hard) == 0 || k.cfg.Capacity != nil {
		return
	}
	t := time.NewTicker(k.cfg.Eviction.Period)
	defer t.Stop()
	for {
		k.synchronizeEviction(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// synchronizeEviction measures the signals, updates the pressure
// conditions and, under pressure, reclaims: for disk first through
// container and image GC, then by evicting one pod.
func (k *Kubelet) synchronizeEviction(ctx context.Context) {
	now := k.cfg.Now()
	met := thresholdsMet(k.cfg.Eviction.Hard, k.observe(ctx))
	transition := k.cfg.Eviction.PressureTransitionPeriod
	memBefore, diskBefore := k.eviction.pressure(now, transition)
	k.eviction.record(met, now)
	if mem, disk := k.eviction.pressure(now, transition); mem != memBefore || disk != diskBefore {
		if err := k.syncNodeStatus(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("node status", "node", k.cfg.NodeName, "err", err)
		}
	}
	if len(met) == 0 {
		return
	}
	// Memory first, as Kubernetes orders thresholds.
	slices.SortStableFunc(met, func(a, b thresholdMet) int {
		if a.Signal.isMemory() == b.Signal.isMemory() {
			return 0
		}
		if a.Signal.isMemory() {
			return -1
		}
		return 1
	})
	th := met[0]
	k.log.Info("eviction threshold met", "threshold", th.Threshold.String(), "available", th.obs.available)
	if !th.Signal.isMemory() && k.reclaimDisk(ctx, th) {
		return
	}
	k.evictOne(ctx, th)
}

// reclaimDisk frees node-level disk (dead containers, unused images)
// and reports whether th is no longer met.
func (k *Kubelet) reclaimDisk(ctx context.Context, th thresholdMet) bool {
	if err := k.garbageCollectContainers(ctx, true); err != nil {
		k.log.Warn("container gc", "err", err)
	}
	if _, err := k.deleteUnusedImages(ctx, -1); err != nil {
		k.log.Warn("image gc", "err", err)
	}
	return len(thresholdsMet([]Threshold{th.Threshold}, k.observe(ctx))) == 0
}

// evictOne evicts the first pod in Kubernetes' ranking for th, unless an
// eviction is still under way.
func (k *Kubelet) evictOne(ctx context.Context, th thresholdMet) {
	pods := k.nodePods()
	active := map[types.UID]bool{}
	for _, p := range pods {
		active[p.UID] = !isTerminal(p.Status.Phase)
	}
	if k.eviction.prune(active) {
		return
	}
	res := corev1.ResourceMemory
	if !th.Signal.isMemory() {
		res = corev1.ResourceEphemeralStorage
	}
	cs := k.candidates(ctx, pods, res)
	if len(cs) == 0 {
		k.log.Warn("eviction: no pod to evict", "threshold", th.Threshold.String())
		return
	}
	rankForEviction(cs, res)
	victim := cs[0]
	msg := evictionMessage(res, victim, th)
	if !k.eviction.request(victim.pod.UID, msg) {
		return
	}
	k.log.Warn("evicting pod", "pod", victim.pod.Namespace+"/"+victim.pod.Name, "threshold", th.Threshold.String())
	k.recorder.Eventf(victim.pod, corev1.EventTypeWarning, "Evicted", "%s", msg)
	k.enqueue(ctx, podRef{uid: victim.pod.UID, namespace: victim.pod.Namespace, name: victim.pod.Name})
}
