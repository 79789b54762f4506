package framework

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type intState struct{ n int }

func (s *intState) Clone() StateData { return &intState{s.n} }

func TestCycleStateReadWriteClone(t *testing.T) {
	c := NewCycleState()
	if c.Read("a") != nil {
		t.Fatal("empty state read a value")
	}
	c.Write("a", &intState{1})
	c.Write("b", &intState{2})
	c.Write("a", &intState{3}) // replaces, does not add
	if len(c.data) != 2 {
		t.Fatalf("%d entries, want 2", len(c.data))
	}
	for key, want := range map[StateKey]int{"a": 3, "b": 2} {
		if got := c.Read(key).(*intState).n; got != want {
			t.Errorf("Read(%s) = %d, want %d", key, got, want)
		}
	}
	clone := c.Clone()
	clone.Read("a").(*intState).n = 9
	if c.Read("a").(*intState).n != 3 {
		t.Error("changing the clone's data changed the original")
	}
}

type namedFilter struct {
	name string
	ran  *[]string
}

func (f namedFilter) Name() string { return f.name }
func (f namedFilter) Filter(context.Context, *CycleState, *corev1.Pod, *NodeInfo) *Status {
	*f.ran = append(*f.ran, f.name)
	return nil
}

// The filters chosen after PreFilter leave out the skipped ones, as the
// skip map does when PreFilter did not run.
func TestRunFilterPluginsSkips(t *testing.T) {
	var ran []string
	f := &Framework{}
	for _, n := range []string{"A", "B", "C"} {
		f.add(namedFilter{n, &ran}, 1)
	}
	ni := NewNodeInfo()
	ni.SetNode(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}})
	for _, prefiltered := range []bool{false, true} {
		ran = nil
		state := NewCycleState()
		state.SkipFilterPlugins["B"] = true
		if prefiltered {
			f.RunPreFilterPlugins(context.Background(), state, &corev1.Pod{})
		}
		f.RunFilterPlugins(context.Background(), state, &corev1.Pod{}, ni)
		if len(ran) != 2 || ran[0] != "A" || ran[1] != "C" {
			t.Errorf("prefiltered=%v: ran %v, want [A C]", prefiltered, ran)
		}
	}
}

func TestNodeInfoNodeFields(t *testing.T) {
	ni := NewNodeInfo()
	taints := []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}
	ni.SetNode(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NodeSpec{Unschedulable: true, Taints: taints}})
	for _, got := range []*NodeInfo{ni, ni.Clone()} {
		if got.NodeName() != "n1" || !got.Unschedulable() || len(got.Taints()) != 1 || got.Taints()[0].Key != "k" {
			t.Fatalf("got %q %v %v", got.NodeName(), got.Unschedulable(), got.Taints())
		}
	}
	ni.SetNode(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	if ni.Unschedulable() || ni.Taints() != nil {
		t.Fatal("uncordoned node without taints still reads as cordoned or tainted")
	}
	ni.RemoveNode()
	if ni.NodeName() != "" || ni.Node() != nil {
		t.Fatal("removed node still named")
	}
}
