package tainttoleration_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/tainttoleration"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

var (
	reg     = framework.Registry{tainttoleration.Name: tainttoleration.New}
	plugins = []framework.PluginConfig{{Name: tainttoleration.Name}}
)

func TestFilter(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode().Name("plain").Obj(),
		st.MakeNode().Name("cp").Taint("node-role.kubernetes.io/control-plane", "", corev1.TaintEffectNoSchedule).Obj(),
		st.MakeNode().Name("gpu").Taint("gpu", "true", corev1.TaintEffectNoExecute).Obj(),
		st.MakeNode().Name("soft").Taint("spot", "yes", corev1.TaintEffectPreferNoSchedule).Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"no tolerations", st.MakePod().Name("p").Obj(), map[string]string{
			"plain": "", "soft": "",
			"cp":  "UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
			"gpu": "UnschedulableAndUnresolvable: node(s) had untolerated taint {gpu: true}",
		}},
		{"equal toleration", st.MakePod().Name("p").Toleration("gpu", "true", corev1.TolerationOpEqual, corev1.TaintEffectNoExecute).Obj(), map[string]string{
			"plain": "", "soft": "", "gpu": "",
			"cp": "UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
		}},
		{"wrong value", st.MakePod().Name("p").Toleration("gpu", "false", corev1.TolerationOpEqual, "").Obj(), map[string]string{
			"plain": "", "soft": "",
			"cp":  "UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
			"gpu": "UnschedulableAndUnresolvable: node(s) had untolerated taint {gpu: true}",
		}},
		{"tolerate everything", st.MakePod().Name("p").Toleration("", "", corev1.TolerationOpExists, "").Obj(), map[string]string{
			"plain": "", "soft": "", "gpu": "", "cp": "",
		}},
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
	nodes := []*corev1.Node{
		st.MakeNode().Name("none").Obj(),
		st.MakeNode().Name("one").Taint("a", "", corev1.TaintEffectPreferNoSchedule).Obj(),
		st.MakeNode().Name("two").Taint("a", "", corev1.TaintEffectPreferNoSchedule).Taint("b", "", corev1.TaintEffectPreferNoSchedule).Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]int64
	}{
		{"fewer untolerated taints score higher", st.MakePod().Name("p").Obj(), map[string]int64{"none": 100, "one": 50, "two": 0}},
		{"tolerated taints do not count", st.MakePod().Name("p").Toleration("a", "", corev1.TolerationOpExists, corev1.TaintEffectPreferNoSchedule).Obj(),
			map[string]int64{"none": 100, "one": 100, "two": 0}},
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
