package interpodaffinity_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/interpodaffinity"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

var (
	reg     = framework.Registry{interpodaffinity.Name: interpodaffinity.New}
	plugins = []framework.PluginConfig{{Name: interpodaffinity.Name}}
	nodes   = []*corev1.Node{
		st.MakeNode().Name("n1").Label(corev1.LabelTopologyZone, "a").Obj(),
		st.MakeNode().Name("n2").Label(corev1.LabelTopologyZone, "a").Obj(),
		st.MakeNode().Name("n3").Label(corev1.LabelTopologyZone, "b").Obj(),
	}
	db    = map[string]string{"app": "db"}
	web   = map[string]string{"app": "web"}
	cache = map[string]string{"app": "cache"}
)

func TestFilter(t *testing.T) {
	existing := []*corev1.Pod{
		st.MakePod().Name("db").Node("n1").Label("app", "db").Obj(),
		st.MakePod().Name("guard").Node("n3").PodAntiAffinity(corev1.LabelTopologyZone, web).Obj(),
	}
	const (
		aff      = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules"
		anti     = "Unschedulable: node(s) didn't match pod anti-affinity rules"
		existAnt = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules"
	)
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"affinity to db's zone", st.MakePod().Name("p").PodAffinity(corev1.LabelTopologyZone, db).Obj(), map[string]string{"n1": "", "n2": "", "n3": aff}},
		{"anti-affinity to db's host", st.MakePod().Name("p").PodAntiAffinity(corev1.LabelHostname, db).Obj(), map[string]string{"n1": anti, "n2": "", "n3": ""}},
		{"existing pod's anti-affinity is symmetric", st.MakePod().Name("p").Label("app", "web").Obj(), map[string]string{"n1": "", "n2": "", "n3": existAnt}},
		{"first pod of a self-affine group", st.MakePod().Name("p").Label("app", "cache").PodAffinity(corev1.LabelHostname, cache).Obj(), map[string]string{"n1": "", "n2": "", "n3": ""}},
		{"affinity to nothing", st.MakePod().Name("p").PodAffinity(corev1.LabelHostname, cache).Obj(), map[string]string{"n1": aff, "n2": aff, "n3": aff}},
		{"other namespace does not match", st.MakePod().Name("p").Namespace("other").PodAffinity(corev1.LabelTopologyZone, db).Obj(), map[string]string{"n1": aff, "n2": aff, "n3": aff}},
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
	existing := []*corev1.Pod{
		st.MakePod().Name("db").Node("n1").Label("app", "db").Obj(),
		st.MakePod().Name("web").Node("n3").Label("app", "web").Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]int64
	}{
		{"preferred affinity to db's zone", st.MakePod().Name("p").PreferredPodAffinity(10, corev1.LabelTopologyZone, db).Obj(), map[string]int64{"n1": 100, "n2": 100, "n3": 0}},
		{"preferred anti-affinity to web's host", st.MakePod().Name("p").PreferredPodAffinity(-5, corev1.LabelHostname, web).Obj(), map[string]int64{"n1": 100, "n2": 100, "n3": 0}},
		{"no preferences", st.MakePod().Name("p").Obj(), map[string]int64{"n1": 0, "n2": 0, "n3": 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, plugins, framework.Args{}, nodes, existing)
			if d := cmp.Diff(tc.want, env.Score(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}
