package volumebinding_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins/volumebinding"
	st "github.com/skiff-sh/skiff/internal/scheduler/schedtest"
)

func claim(name, volume, class string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{VolumeName: volume, StorageClassName: &class}}
}

func TestFilter(t *testing.T) {
	nodes := []*corev1.Node{st.MakeNode().Name("n1").Obj(), st.MakeNode().Name("n2").Obj()}
	wait := storagev1.VolumeBindingWaitForFirstConsumer
	objs := []runtime.Object{
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "local-n1"}, Spec: corev1.PersistentVolumeSpec{NodeAffinity: &corev1.VolumeNodeAffinity{
			Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}}}}}},
		}}},
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "network"}},
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "late"}, VolumeBindingMode: &wait},
		claim("local", "local-n1", ""), claim("net", "network", ""), claim("unbound", "", ""), claim("delayed", "", "late"),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{"local volume pins the node", st.MakePod().Name("p").PVC("local").Obj(), map[string]string{
			"n1": "", "n2": "UnschedulableAndUnresolvable: node(s) had volume node affinity conflict"}},
		{"volume without affinity", st.MakePod().Name("p").PVC("net").Obj(), map[string]string{"n1": "", "n2": ""}},
		{"missing claim", st.MakePod().Name("p").PVC("nope").Obj(), map[string]string{
			"PreFilter": `UnschedulableAndUnresolvable: persistentvolumeclaim "nope" not found`}},
		{"unbound immediate claim", st.MakePod().Name("p").PVC("unbound").Obj(), map[string]string{
			"PreFilter": "UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims"}},
		{"unbound claim waiting for its consumer", st.MakePod().Name("p").PVC("delayed").Obj(), map[string]string{"n1": "", "n2": ""}},
	}
	reg := framework.Registry{volumebinding.Name: volumebinding.New}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := st.NewEnv(t, reg, []framework.PluginConfig{{Name: volumebinding.Name}}, framework.Args{}, nodes, nil, objs...)
			if d := cmp.Diff(tc.want, env.Filter(t, tc.pod)); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}
