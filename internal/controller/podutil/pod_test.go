package podutil

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type podBuilder struct{ p *corev1.Pod }

func makePod(name string) podBuilder {
	return podBuilder{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0)}}}
}

func (b podBuilder) node(n string) podBuilder { b.p.Spec.NodeName = n; return b }
func (b podBuilder) phase(p corev1.PodPhase) podBuilder {
	b.p.Status.Phase = p
	return b
}
func (b podBuilder) created(d time.Duration) podBuilder {
	b.p.CreationTimestamp = metav1.NewTime(t0.Add(d))
	return b
}
func (b podBuilder) ready(since time.Duration) podBuilder {
	b.p.Status.Conditions = append(b.p.Status.Conditions, corev1.PodCondition{
		Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0.Add(since))})
	return b
}
func (b podBuilder) restarts(n int32) podBuilder {
	b.p.Status.ContainerStatuses = append(b.p.Status.ContainerStatuses, corev1.ContainerStatus{RestartCount: n})
	return b
}
func (b podBuilder) cost(c string) podBuilder {
	b.p.Annotations = map[string]string{DeletionCostAnnotation: c}
	return b
}
func (b podBuilder) obj() *corev1.Pod { return b.p }

func TestActivePodsOrder(t *testing.T) {
	pods := []*corev1.Pod{
		makePod("ready-old").node("n").phase(corev1.PodRunning).ready(0).obj(),
		makePod("ready-new").node("n").phase(corev1.PodRunning).ready(time.Minute).obj(),
		makePod("ready-new-costly").node("n").phase(corev1.PodRunning).ready(time.Minute).cost("10").obj(),
		makePod("running-notready-restarts").node("n").phase(corev1.PodRunning).restarts(3).obj(),
		makePod("running-notready").node("n").phase(corev1.PodRunning).obj(),
		makePod("running-notready-newer").node("n").phase(corev1.PodRunning).created(time.Hour).obj(),
		makePod("unknown").node("n").phase(corev1.PodUnknown).obj(),
		makePod("pending").node("n").phase(corev1.PodPending).obj(),
		makePod("unscheduled").phase(corev1.PodPending).obj(),
	}
	sort.Sort(ActivePods(pods))
	var got []string
	for _, p := range pods {
		got = append(got, p.Name)
	}
	want := []string{"unscheduled", "pending", "unknown", "running-notready-restarts",
		"running-notready-newer", "running-notready", "ready-new", "ready-old", "ready-new-costly"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

func TestIsPodAvailable(t *testing.T) {
	p := makePod("p").ready(0).obj()
	for _, tc := range []struct {
		name     string
		min      int32
		at       time.Duration
		want     bool
		waitLeft time.Duration
	}{
		{"no minReadySeconds", 0, 0, true, 0},
		{"not long enough", 10, 5 * time.Second, false, 5 * time.Second},
		{"exactly", 10, 10 * time.Second, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0.Add(tc.at)
			if got := IsPodAvailable(p, tc.min, now); got != tc.want {
				t.Errorf("available = %v, want %v", got, tc.want)
			}
			if got := AvailableIn(p, tc.min, now); got != tc.waitLeft {
				t.Errorf("AvailableIn = %v, want %v", got, tc.waitLeft)
			}
		})
	}
	if IsPodAvailable(makePod("q").obj(), 0, t0) {
		t.Error("pod without Ready condition is available")
	}
}

func TestExpectations(t *testing.T) {
	now := t0
	e := &Expectations{Now: func() time.Time { return now }}
	if !e.Satisfied("a") {
		t.Fatal("no expectations should be satisfied")
	}
	e.Expect("a", 2, []types.UID{"u1"})
	e.CreationObserved("a")
	e.DeletionObserved("a", "u1")
	if e.Satisfied("a") {
		t.Fatal("one creation still pending")
	}
	e.CreationObserved("a")
	if !e.Satisfied("a") {
		t.Fatal("all observed")
	}
	e.Expect("a", 1, nil)
	now = now.Add(ExpectationsTimeout + time.Second)
	if !e.Satisfied("a") {
		t.Fatal("expired expectations should be satisfied")
	}
}
