package imagelocality_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/imagelocality"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

func TestScore(t *testing.T) {
	const mb = 1024 * 1024
	nodes := []*corev1.Node{
		st.MakeNode().Name("n1").Image(500*mb, "big:latest").Image(10*mb, "small:1").Obj(),
		st.MakeNode().Name("n2").Image(500*mb, "big:latest").Obj(),
		st.MakeNode().Name("n3").Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]int64
	}{
		// 500 MiB × 2/3 nodes = 333 MiB: (333-23)/(1000-23) → 31.
		{"untagged name means latest", st.MakePod().Name("p").Image("big").Obj(), map[string]int64{"n1": 31, "n2": 31, "n3": 0}},
		{"small images count nothing", st.MakePod().Name("p").Image("small:1").Obj(), map[string]int64{"n1": 0, "n2": 0, "n3": 0}},
		{"absent image", st.MakePod().Name("p").Image("other").Obj(), map[string]int64{"n1": 0, "n2": 0, "n3": 0}},
	}
	reg := framework.Registry{imagelocality.Name: imagelocality.New}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, []framework.PluginConfig{{Name: imagelocality.Name}}, framework.Args{}, nodes, nil)
			if d := cmp.Diff(tc.want, env.Score(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}
