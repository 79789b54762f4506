package nodeports_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/nodeports"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

func TestFilter(t *testing.T) {
	const taken = "Unschedulable: node(s) didn't have free ports for the requested pod ports"
	nodes := []*corev1.Node{st.MakeNode().Name("n1").Obj(), st.MakeNode().Name("n2").Obj()}
	existing := []*corev1.Pod{
		st.MakePod().Name("all").Node("n1").HostPort("", "", 8080).Obj(),
		st.MakePod().Name("one-ip").Node("n2").HostPort("10.0.0.1", corev1.ProtocolUDP, 53).Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"no host ports", st.MakePod().Name("p").Obj(), map[string]string{"n1": "", "n2": ""}},
		{"port bound on all addresses", st.MakePod().Name("p").HostPort("10.0.0.2", corev1.ProtocolTCP, 8080).Obj(), map[string]string{"n1": taken, "n2": ""}},
		{"other protocol is free", st.MakePod().Name("p").HostPort("", corev1.ProtocolUDP, 8080).Obj(), map[string]string{"n1": "", "n2": ""}},
		{"same IP clashes", st.MakePod().Name("p").HostPort("10.0.0.1", corev1.ProtocolUDP, 53).Obj(), map[string]string{"n1": "", "n2": taken}},
		{"other IP is free", st.MakePod().Name("p").HostPort("10.0.0.2", corev1.ProtocolUDP, 53).Obj(), map[string]string{"n1": "", "n2": ""}},
		{"wildcard clashes with any IP", st.MakePod().Name("p").HostPort("0.0.0.0", corev1.ProtocolUDP, 53).Obj(), map[string]string{"n1": "", "n2": taken}},
	}
	reg := framework.Registry{nodeports.Name: nodeports.New}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, []framework.PluginConfig{{Name: nodeports.Name}}, framework.Args{}, nodes, existing)
			if d := cmp.Diff(tc.want, env.Filter(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}
