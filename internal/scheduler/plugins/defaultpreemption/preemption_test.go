package defaultpreemption_test

import (
	"context"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/defaultpreemption"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/noderesources"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

func TestPostFilter(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode().Name("n1").Capacity("cpu", "2", "memory", "8Gi", "pods", "110").Obj(),
		st.MakeNode().Name("n2").Capacity("cpu", "2", "memory", "8Gi", "pods", "110").Obj(),
	}
	existing := []*corev1.Pod{
		st.MakePod().Name("p1").Node("n1").Label("app", "a").Priority(1).Req("cpu", "1").Obj(),
		st.MakePod().Name("p2").Node("n1").Priority(2).Req("cpu", "1").Obj(),
		st.MakePod().Name("p3").Node("n2").Priority(5).Req("cpu", "2").Obj(),
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "a"},
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}},
	}
	never := corev1.PreemptNever
	tests := []struct {
		name      string
		pod       *corev1.Pod
		objs      []runtime.Object
		nominated string
		msg       string
		deleted   []string
	}{
		{"lowest highest-priority victim wins", st.MakePod().Name("p").Priority(10).Req("cpu", "1").Obj(), nil, "n1", "", []string{"p1"}},
		{"PDB-protected pod reprieved first", st.MakePod().Name("p").Priority(10).Req("cpu", "1").Obj(), []runtime.Object{pdb}, "n1", "", []string{"p2"}},
		{"PDB violations weigh most", st.MakePod().Name("p").Priority(10).Req("cpu", "2").Obj(), []runtime.Object{pdb}, "n2", "", []string{"p3"}},
		{"needs both pods of n1", st.MakePod().Name("p").Priority(3).Req("cpu", "2").Obj(), nil, "n1", "", []string{"p1", "p2"}},
		{"preemptionPolicy Never", st.MakePod().Name("p").Priority(10).Req("cpu", "1").With(func(s *corev1.PodSpec) { s.PreemptionPolicy = &never }).Obj(), nil,
			"", "preemption: not eligible due to preemptionPolicy=Never.", nil},
		{"no lower-priority pods", st.MakePod().Name("p").Priority(1).Req("cpu", "1").Obj(), nil,
			"", "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod", nil},
		{"removing every victim is not enough", st.MakePod().Name("p").Priority(3).Req("cpu", "3").Obj(), nil,
			"", "preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod", nil},
	}
	reg := framework.Registry{noderesources.FitName: noderesources.NewFit, defaultpreemption.Name: defaultpreemption.New}
	plugins := []framework.PluginConfig{{Name: noderesources.FitName}, {Name: defaultpreemption.Name}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, plugins, framework.Args{}, nodes, existing, tc.objs...)
			ctx := context.Background()
			state := framework.NewCycleState()
			if s := env.Fwk.RunPreFilterPlugins(ctx, state, tc.pod); !s.IsSuccess() {
				t.Fatal(st.StatusString(s))
			}
			m := framework.NodeToStatus{}
			for _, ni := range env.Snapshot.List() {
				m[ni.Node().Name] = env.Fwk.RunFilterPlugins(ctx, state, tc.pod, ni)
			}
			res, s := env.Fwk.RunPostFilterPlugins(ctx, state, tc.pod, m)
			nominated := ""
			if res != nil {
				nominated = res.NominatedNodeName
			}
			if nominated != tc.nominated || s.Message() != tc.msg {
				t.Fatalf("nominated %q %q, want %q %q", nominated, s.Message(), tc.nominated, tc.msg)
			}
			pods, err := env.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			left := map[string]bool{}
			for _, p := range pods.Items {
				left[p.Name] = true
			}
			var deleted []string
			for _, p := range existing {
				if !left[p.Name] {
					deleted = append(deleted, p.Name)
				}
			}
			sort.Strings(deleted)
			if d := cmp.Diff(tc.deleted, deleted); d != "" {
				t.Fatalf("deleted (-want +got)\n%s", d)
			}
		})
	}
}
