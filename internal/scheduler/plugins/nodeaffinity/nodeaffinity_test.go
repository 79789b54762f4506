package nodeaffinity_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/nodeaffinity"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

var (
	reg     = framework.Registry{nodeaffinity.Name: nodeaffinity.New}
	plugins = []framework.PluginConfig{{Name: nodeaffinity.Name}}
	nodes   = []*corev1.Node{
		st.MakeNode().Name("a").Label("zone", "a").Label("disk", "ssd").Obj(),
		st.MakeNode().Name("b").Label("zone", "b").Obj(),
	}
)

func TestFilter(t *testing.T) {
	const no = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector"
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"no constraints skips", st.MakePod().Name("p").Obj(), map[string]string{"a": "", "b": ""}},
		{"nodeSelector", st.MakePod().Name("p").NodeSelector(map[string]string{"disk": "ssd"}).Obj(), map[string]string{"a": "", "b": no}},
		{"required affinity", st.MakePod().Name("p").NodeAffinityIn("zone", "b", "c").Obj(), map[string]string{"a": no, "b": ""}},
		{"both must hold", st.MakePod().Name("p").NodeSelector(map[string]string{"disk": "ssd"}).NodeAffinityIn("zone", "b").Obj(), map[string]string{"a": no, "b": no}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, plugins, framework.Args{}, nodes, nil)
			if d := cmp.Diff(tc.want, env.Filter(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]int64
	}{
		{"no preferences", st.MakePod().Name("p").Obj(), map[string]int64{"a": 0, "b": 0}},
		{"weights summed and normalized", st.MakePod().Name("p").PreferredNodeAffinity(10, "zone", "b").PreferredNodeAffinity(30, "disk", "ssd").Obj(),
			map[string]int64{"a": 100, "b": 33}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, plugins, framework.Args{}, nodes, nil)
			if d := cmp.Diff(tc.want, env.Score(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}
