package podtopologyspread_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/podtopologyspread"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

var (
	reg     = framework.Registry{podtopologyspread.Name: podtopologyspread.New}
	plugins = []framework.PluginConfig{{Name: podtopologyspread.Name}}
	web     = map[string]string{"app": "web"}
)

func zoneNode(name, zone string) *corev1.Node {
	return st.MakeNode().Name(name).Label(corev1.LabelTopologyZone, zone).Obj()
}

func webPod(name, node string) *corev1.Pod {
	return st.MakePod().Name(name).Node(node).Label("app", "web").Obj()
}

func TestFilter(t *testing.T) {
	nodes := []*corev1.Node{zoneNode("a1", "a"), zoneNode("a2", "a"), zoneNode("b1", "b"), zoneNode("c1", "c"), st.MakeNode().Name("bare").Obj()}
	existing := []*corev1.Pod{webPod("w1", "a1"), webPod("w2", "a2"), webPod("w3", "b1"), st.MakePod().Name("other").Node("c1").Obj()}
	const skew = "Unschedulable: node(s) didn't match pod topology spread constraints"
	const missing = "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)"
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"zone skew 1 allows only the empty zone", st.MakePod().Name("p").Label("app", "web").Spread(1, corev1.LabelTopologyZone, corev1.DoNotSchedule, web).Obj(),
			map[string]string{"a1": skew, "a2": skew, "b1": skew, "c1": "", "bare": missing}},
		{"zone skew 2", st.MakePod().Name("p").Label("app", "web").Spread(2, corev1.LabelTopologyZone, corev1.DoNotSchedule, web).Obj(),
			map[string]string{"a1": skew, "a2": skew, "b1": "", "c1": "", "bare": missing}},
		{"a pod not matching its own selector does not count itself", st.MakePod().Name("p").Spread(1, corev1.LabelTopologyZone, corev1.DoNotSchedule, web).Obj(),
			map[string]string{"a1": skew, "a2": skew, "b1": "", "c1": "", "bare": missing}},
		{"ScheduleAnyway does not filter", st.MakePod().Name("p").Label("app", "web").Spread(1, corev1.LabelTopologyZone, corev1.ScheduleAnyway, web).Obj(),
			map[string]string{"a1": "", "a2": "", "b1": "", "c1": "", "bare": ""}},
		{"node affinity limits the domains", st.MakePod().Name("p").Label("app", "web").NodeAffinityIn(corev1.LabelTopologyZone, "a", "b").Spread(1, corev1.LabelTopologyZone, corev1.DoNotSchedule, web).Obj(),
			map[string]string{"a1": skew, "a2": skew, "b1": "", "c1": "", "bare": missing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, plugins, framework.Args{}, nodes, existing)
			if d := cmp.Diff(tc.want, env.Filter(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestScore(t *testing.T) {
	nodes := []*corev1.Node{zoneNode("n1", "a"), zoneNode("n2", "a"), zoneNode("n3", "b")}
	existing := []*corev1.Pod{webPod("w1", "n1"), webPod("w2", "n1")}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: corev1.ServiceSpec{Selector: web}}
	tests := []struct {
		name string
		pod  *corev1.Pod
		objs []runtime.Object
		want map[string]int64
	}{
		// log(5)-weighted counts 2, 0, 0 → raw 3, 0, 0.
		{"hostname spread", st.MakePod().Name("p").Label("app", "web").Spread(1, corev1.LabelHostname, corev1.ScheduleAnyway, web).Obj(), nil,
			map[string]int64{"n1": 0, "n2": 100, "n3": 100}},
		// zone (log 4) and hostname (log 5) with maxSkew 5 and 3: raw 12, 9, 6.
		{"system defaults from a service", st.MakePod().Name("p").Label("app", "web").Obj(), []runtime.Object{svc},
			map[string]int64{"n1": 50, "n2": 75, "n3": 100}},
		{"no constraints and no owner", st.MakePod().Name("p").Label("app", "web").Obj(), nil,
			map[string]int64{"n1": 0, "n2": 0, "n3": 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, plugins, framework.Args{}, nodes, existing, tc.objs...)
			if d := cmp.Diff(tc.want, env.Score(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}
