package bench

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// bindWatch records when a watch first saw each benchmark pod bound, and
// where.
type bindWatch struct {
	informer cache.SharedIndexInformer
	factory  informers.SharedInformerFactory
	mu       sync.Mutex
	boundAt  map[string]time.Time
	perNode  map[string]int
	want     int
	done     chan struct{}
}

func newBindWatch(client kubernetes.Interface, want int) *bindWatch {
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(metav1.NamespaceDefault))
	w := &bindWatch{factory: f, informer: f.Core().V1().Pods().Informer(),
		boundAt: map[string]time.Time{}, perNode: map[string]int{}, want: want, done: make(chan struct{})}
	_, _ = w.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    w.observe,
		UpdateFunc: func(_, obj any) { w.observe(obj) },
	})
	return w
}

func (w *bindWatch) synced() bool { return w.informer.HasSynced() }

func (w *bindWatch) run(ctx context.Context) {
	w.factory.Start(ctx.Done())
	<-ctx.Done()
	w.factory.Shutdown()
}

func (w *bindWatch) observe(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.boundAt[p.Name]; seen {
		return
	}
	w.boundAt[p.Name] = now
	w.perNode[p.Spec.NodeName]++
	if len(w.boundAt) == w.want {
		close(w.done)
	}
}

// wait returns once every pod is bound, printing progress every 5 s; it
// gives up after a minute without progress.
func (w *bindWatch) wait(ctx context.Context, out io.Writer) error {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	last, stalled := -1, 0
	for {
		select {
		case <-w.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			w.mu.Lock()
			n := len(w.boundAt)
			w.mu.Unlock()
			fmt.Fprintf(out, "      %d/%d bound\n", n, w.want)
			if n == last {
				stalled++
			} else {
				stalled = 0
			}
			if stalled >= 12 {
				return fmt.Errorf("no progress for a minute: %d/%d pods bound", n, w.want)
			}
			last = n
		}
	}
}

// report computes the throughput figures and the placement from the
// bindings seen since the scheduler started.
func (w *bindWatch) report(c SchedulerCase, start time.Time) *SchedulerReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := &SchedulerReport{Case: c.Name, Nodes: c.Nodes, Pods: c.Pods, Spread: c.Spread, Scheduled: len(w.boundAt), NodesUsed: len(w.perNode)}
	times := make([]time.Time, 0, len(w.boundAt))
	for _, at := range w.boundAt {
		times = append(times, at)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	if len(times) > 0 {
		r.ScheduleSeconds = times[len(times)-1].Sub(start).Seconds()
		r.PodsPerSec = float64(len(times)) / r.ScheduleSeconds
	}
	r.PeakPodsPerSec = float64(peakPerWindow(times, time.Second))
	perZone := make([]int, len(benchZones))
	for node, n := range w.perNode {
		r.MaxPodsPerNode = max(r.MaxPodsPerNode, n)
		if i, err := strconv.Atoi(strings.TrimPrefix(node, "bench-node-")); err == nil {
			perZone[i%len(benchZones)] += n
		}
	}
	r.PodsPerZone = perZone
	return r
}

// peakPerWindow returns the most of the sorted times that fall in one
// window of length d.
func peakPerWindow(times []time.Time, d time.Duration) int {
	best, lo := 0, 0
	for hi, t := range times {
		for t.Sub(times[lo]) >= d {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}
