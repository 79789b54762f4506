package nodeunschedulable_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/nodename"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/nodeunschedulable"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

func TestFilter(t *testing.T) {
	nodes := []*corev1.Node{st.MakeNode().Name("ok").Obj(), st.MakeNode().Name("cordoned").Unschedulable().Obj()}
	reg := framework.Registry{nodeunschedulable.Name: nodeunschedulable.New, nodename.Name: nodename.New}
	plugins := []framework.PluginConfig{{Name: nodeunschedulable.Name}, {Name: nodename.Name}}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"cordoned node refused", st.MakePod().Name("p").Obj(), map[string]string{
			"ok": "", "cordoned": "UnschedulableAndUnresolvable: node(s) were unschedulable"}},
		{"toleration of the unschedulable taint", st.MakePod().Name("p").Toleration(corev1.TaintNodeUnschedulable, "", corev1.TolerationOpExists, corev1.TaintEffectNoSchedule).Obj(),
			map[string]string{"ok": "", "cordoned": ""}},
		{"spec.nodeName keeps other nodes out", st.MakePod().Name("p").Node("ok").Obj(), map[string]string{
			"ok": "", "cordoned": "UnschedulableAndUnresolvable: node(s) were unschedulable"}},
		{"spec.nodeName on a node other than the named one", st.MakePod().Name("p").Node("cordoned").Toleration("", "", corev1.TolerationOpExists, "").Obj(), map[string]string{
			"ok": "UnschedulableAndUnresolvable: node(s) didn't match the requested node name", "cordoned": ""}},
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
