package noderesources_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/noderesources"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

var reg = framework.Registry{noderesources.FitName: noderesources.NewFit, noderesources.BalancedAllocationName: noderesources.NewBalancedAllocation}

func TestFitFilter(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode().Name("big").Capacity("cpu", "4", "memory", "8Gi", "pods", "110", "nvidia.com/gpu", "2", "ephemeral-storage", "10Gi").Obj(),
		st.MakeNode().Name("small").Capacity("cpu", "1", "memory", "1Gi", "pods", "2").Obj(),
	}
	existing := []*corev1.Pod{
		st.MakePod().Name("e1").Node("big").Req("cpu", "3", "memory", "2Gi", "nvidia.com/gpu", "1").Obj(),
		st.MakePod().Name("e2").Node("small").Req("cpu", "500m").Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"fits both", st.MakePod().Name("p").Req("cpu", "500m", "memory", "512Mi").Obj(), map[string]string{"big": "", "small": ""}},
		{"insufficient cpu", st.MakePod().Name("p").Req("cpu", "1").Obj(), map[string]string{"big": "", "small": "Unschedulable: Insufficient cpu"}},
		{"several reasons", st.MakePod().Name("p").Req("cpu", "2", "memory", "7Gi").Obj(), map[string]string{
			"big": "Unschedulable: Insufficient cpu, Insufficient memory", "small": "Unschedulable: Insufficient cpu, Insufficient memory"}},
		{"extended resource", st.MakePod().Name("p").Req("nvidia.com/gpu", "2").Obj(), map[string]string{
			"big": "Unschedulable: Insufficient nvidia.com/gpu", "small": "Unschedulable: Insufficient nvidia.com/gpu"}},
		{"ephemeral storage", st.MakePod().Name("p").Req("ephemeral-storage", "20Gi").Obj(), map[string]string{
			"big": "Unschedulable: Insufficient ephemeral-storage", "small": "Unschedulable: Insufficient ephemeral-storage"}},
		{"best effort fits while pods are free", st.MakePod().Name("p").Obj(), map[string]string{"big": "", "small": ""}},
		{"containers add up", st.MakePod().Name("p").Req("cpu", "100m").Container("x", "cpu", "100m").Obj(), map[string]string{"big": "", "small": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, []framework.PluginConfig{{Name: noderesources.FitName}}, framework.Args{}, nodes, existing)
			if d := cmp.Diff(tc.want, env.Filter(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestFitTooManyPods(t *testing.T) {
	nodes := []*corev1.Node{st.MakeNode().Name("n").Capacity("cpu", "4", "memory", "8Gi", "pods", "1").Obj()}
	existing := []*corev1.Pod{st.MakePod().Name("e").Node("n").Obj()}
	env := st.NewEnv(t, reg, []framework.PluginConfig{{Name: noderesources.FitName}}, framework.Args{}, nodes, existing)
	if d := cmp.Diff(map[string]string{"n": "Unschedulable: Too many pods"}, env.Filter(t, st.MakePod().Name("p").Obj())); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
}

func TestScores(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode().Name("empty").Capacity("cpu", "4", "memory", "4Gi", "pods", "110").Obj(),
		st.MakeNode().Name("half").Capacity("cpu", "4", "memory", "4Gi", "pods", "110").Obj(),
	}
	existing := []*corev1.Pod{st.MakePod().Name("e").Node("half").Req("cpu", "2", "memory", "1Gi").Obj()}
	pod := st.MakePod().Name("p").Req("cpu", "1", "memory", "1Gi").Obj()
	tests := []struct {
		name   string
		plugin string
		args   framework.Args
		want   map[string]int64
	}{
		// empty: cpu (4-1)/4=75, mem (4-1)/4=75; half: cpu 25, mem 50 → 37.
		{"least allocated", noderesources.FitName, framework.Args{}, map[string]int64{"empty": 75, "half": 37}},
		{"most allocated", noderesources.FitName, framework.Args{ScoringStrategy: framework.MostAllocated}, map[string]int64{"empty": 25, "half": 62}},
		// empty: |0.25-0.25|/2=0 → 100; half: |0.75-0.5|/2=0.125 → 87.
		{"balanced allocation", noderesources.BalancedAllocationName, framework.Args{}, map[string]int64{"empty": 100, "half": 87}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, []framework.PluginConfig{{Name: tc.plugin}}, tc.args, nodes, existing)
			if d := cmp.Diff(tc.want, env.Score(t, pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestUnknownStrategy(t *testing.T) {
	if _, err := noderesources.NewFit(nil, framework.Args{ScoringStrategy: "Random"}); err == nil {
		t.Fatal("unknown strategy accepted")
	}
}
