package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

var (
	nodeAdd     = framework.ClusterEvent{Resource: framework.Node, Action: framework.Add}
	podDelete   = framework.ClusterEvent{Resource: framework.AssignedPod, Action: framework.Delete}
	labelChange = framework.ClusterEvent{Resource: framework.Node, Action: framework.UpdateNodeLabel}
)

func newQueue() (*PriorityQueue, *clocktesting.FakeClock) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	q := New(Config{Clock: clk, PluginEvents: map[string][]framework.ClusterEvent{
		"Fit":      {{Resource: framework.AssignedPod, Action: framework.Delete}, {Resource: framework.Node, Action: framework.Add}},
		"Affinity": {{Resource: framework.Node, Action: framework.Add | framework.UpdateNodeLabel}},
	}})
	return q, clk
}

// state renders the queue as "active: a b | backoff: c | unschedulable: d".
func (q *PriorityQueue) state() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	names := func(l []*QueuedPodInfo) string {
		s := ""
		for _, p := range l {
			s += " " + p.Pod.Name
		}
		return s
	}
	active := itemsOf(q.active)
	sortBy(active, activeLess)
	backoff := itemsOf(q.backoff)
	sortBy(backoff, q.backoffLess)
	var unsched []*QueuedPodInfo
	for _, p := range q.unschedulable {
		unsched = append(unsched, p)
	}
	sortBy(unsched, func(a, b *QueuedPodInfo) bool { return a.Pod.Name < b.Pod.Name })
	return fmt.Sprintf("active:%s | backoff:%s | unschedulable:%s", names(active), names(backoff), names(unsched))
}

func itemsOf(h *keyedHeap[*QueuedPodInfo]) []*QueuedPodInfo {
	var out []*QueuedPodInfo
	for _, e := range h.items {
		out = append(out, e.item)
	}
	return out
}

func sortBy(l []*QueuedPodInfo, less func(a, b *QueuedPodInfo) bool) {
	for i := range l {
		for j := i + 1; j < len(l); j++ {
			if less(l[j], l[i]) {
				l[i], l[j] = l[j], l[i]
			}
		}
	}
}

func pop(t *testing.T, q *PriorityQueue) *QueuedPodInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p, err := q.Pop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestActiveOrder(t *testing.T) {
	q, clk := newQueue()
	q.Add(st.MakePod().Name("low").Priority(1).Obj())
	clk.Step(time.Millisecond)
	q.Add(st.MakePod().Name("high").Priority(10).Obj())
	clk.Step(time.Millisecond)
	q.Add(st.MakePod().Name("low2").Priority(1).Obj())
	var got []string
	for range 3 {
		got = append(got, pop(t, q).Pod.Name)
	}
	if d := cmp.Diff([]string{"high", "low", "low2"}, got); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
}

func TestBackoffDuration(t *testing.T) {
	q, _ := newQueue()
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 20: 10 * time.Second} {
		if got := q.backoffDuration(&QueuedPodInfo{Attempts: attempts}); got != want {
			t.Errorf("attempts %d: backoff %v, want %v", attempts, got, want)
		}
	}
}

// TestScript runs steps against one queue and checks its state after each.
func TestScript(t *testing.T) {
	type step struct {
		do   func(t *testing.T, q *PriorityQueue, clk *clocktesting.FakeClock)
		want string
	}
	fail := func(name string, plugins ...string) func(*testing.T, *PriorityQueue, *clocktesting.FakeClock) {
		return func(t *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
			p := pop(t, q)
			if p.Pod.Name != name {
				t.Fatalf("popped %s, want %s", p.Pod.Name, name)
			}
			p.UnschedulablePlugins = map[string]bool{}
			for _, pl := range plugins {
				p.UnschedulablePlugins[pl] = true
			}
			q.AddUnschedulableIfNotPresent(p, q.SchedulingCycle())
		}
	}
	add := func(name string) func(*testing.T, *PriorityQueue, *clocktesting.FakeClock) {
		return func(_ *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) { q.Add(st.MakePod().Name(name).Obj()) }
	}
	move := func(e framework.ClusterEvent) func(*testing.T, *PriorityQueue, *clocktesting.FakeClock) {
		return func(_ *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
			q.MoveAllToActiveOrBackoffQueue(e, nil)
		}
	}
	wait := func(d time.Duration) func(*testing.T, *PriorityQueue, *clocktesting.FakeClock) {
		return func(_ *testing.T, q *PriorityQueue, clk *clocktesting.FakeClock) {
			clk.Step(d)
			q.flushBackoffCompleted()
			q.flushUnschedulableLeftover()
		}
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"unschedulable pods move only on events their plugins registered", []step{
			{add("a"), "active: a | backoff: | unschedulable:"},
			{add("b"), "active: a b | backoff: | unschedulable:"},
			{fail("a", "Fit"), "active: b | backoff: | unschedulable: a"},
			{fail("b", "Affinity"), "active: | backoff: | unschedulable: a b"},
			{move(podDelete), "active: | backoff: a | unschedulable: b"},
			{wait(time.Second), "active: a | backoff: | unschedulable: b"},
			{move(labelChange), "active: a b | backoff: | unschedulable:"},
		}},
		{"backoff doubles with attempts", []step{
			{add("a"), "active: a | backoff: | unschedulable:"},
			{fail("a"), "active: | backoff: a | unschedulable:"},
			{wait(999 * time.Millisecond), "active: | backoff: a | unschedulable:"},
			{wait(time.Millisecond), "active: a | backoff: | unschedulable:"},
			{fail("a"), "active: | backoff: a | unschedulable:"},
			{wait(time.Second), "active: | backoff: a | unschedulable:"},
			{wait(time.Second), "active: a | backoff: | unschedulable:"},
		}},
		{"an event during the attempt sends the pod to backoff", []step{
			{add("a"), "active: a | backoff: | unschedulable:"},
			{func(t *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
				p := pop(t, q)
				cycle := q.SchedulingCycle()
				q.MoveAllToActiveOrBackoffQueue(nodeAdd, nil)
				p.UnschedulablePlugins = map[string]bool{"Fit": true}
				q.AddUnschedulableIfNotPresent(p, cycle)
			}, "active: | backoff: a | unschedulable:"},
		}},
		{"unschedulable pods are retried after five minutes", []step{
			{add("a"), "active: a | backoff: | unschedulable:"},
			{fail("a", "Fit"), "active: | backoff: | unschedulable: a"},
			{wait(5 * time.Minute), "active: | backoff: | unschedulable: a"},
			{wait(time.Second), "active: a | backoff: | unschedulable:"},
		}},
		{"a spec change retries an unschedulable pod", []step{
			{add("a"), "active: a | backoff: | unschedulable:"},
			{fail("a", "Fit"), "active: | backoff: | unschedulable: a"},
			{func(_ *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
				old := st.MakePod().Name("a").Obj()
				status := old.DeepCopy()
				status.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled}}
				q.Update(old, status) // our own status write: no retry
			}, "active: | backoff: | unschedulable: a"},
			{func(_ *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
				q.Update(st.MakePod().Name("a").Obj(), st.MakePod().Name("a").Label("x", "y").Obj())
			}, "active: | backoff: a | unschedulable:"},
		}},
		{"deleted pods leave every queue", []step{
			{add("a"), "active: a | backoff: | unschedulable:"},
			{fail("a", "Fit"), "active: | backoff: | unschedulable: a"},
			{func(_ *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
				q.Delete(st.MakePod().Name("a").Obj())
			},
				"active: | backoff: | unschedulable:"},
		}},
		{"gated pods wait for their gates to go", []step{
			{func(_ *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
				q.Add(st.MakePod().Name("g").With(func(s *corev1.PodSpec) { s.SchedulingGates = []corev1.PodSchedulingGate{{Name: "x"}} }).Obj())
			}, "active: | backoff: | unschedulable: g"},
			{move(nodeAdd), "active: | backoff: | unschedulable: g"},
			{func(_ *testing.T, q *PriorityQueue, _ *clocktesting.FakeClock) {
				old := st.MakePod().Name("g").With(func(s *corev1.PodSpec) { s.SchedulingGates = []corev1.PodSchedulingGate{{Name: "x"}} }).Obj()
				q.Update(old, st.MakePod().Name("g").Obj())
			}, "active: g | backoff: | unschedulable:"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, clk := newQueue()
			for i, s := range tc.steps {
				s.do(t, q, clk)
				if got := q.state(); got != s.want {
					t.Fatalf("step %d:\n got %s\nwant %s", i, got, s.want)
				}
			}
		})
	}
}

func TestNominator(t *testing.T) {
	q, _ := newQueue()
	p := st.MakePod().Name("p").Obj()
	q.AddNominatedPod(framework.NewPodInfo(p), "n1")
	if got := len(q.NominatedPodsForNode("n1")); got != 1 {
		t.Fatalf("nominated on n1: %d", got)
	}
	// An update that does not show the nomination yet keeps it.
	q.Update(p, p.DeepCopy())
	if got := len(q.NominatedPodsForNode("n1")); got != 1 {
		t.Fatalf("nomination lost on update")
	}
	q.Delete(p)
	if got := len(q.NominatedPodsForNode("n1")); got != 0 {
		t.Fatalf("nomination kept after delete")
	}
}

func TestPopAfterClose(t *testing.T) {
	q, _ := newQueue()
	q.Close()
	if _, err := q.Pop(context.Background()); err != ErrClosed {
		t.Fatalf("Pop after Close: %v", err)
	}
}
