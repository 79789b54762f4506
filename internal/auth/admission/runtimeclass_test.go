package admission

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

var sandboxTol = corev1.Toleration{Key: "sandbox", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}

func runtimeClasses() RuntimeClass {
	classes := map[string]*nodev1.RuntimeClass{
		"plain": {ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Handler: "runc"},
		"kata": {
			ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata",
			Overhead:   &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
			Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox": "kata"}, Tolerations: []corev1.Toleration{sandboxTol}},
		},
	}
	return RuntimeClass{Get: func(_ context.Context, name string) (*nodev1.RuntimeClass, error) {
		if rc, ok := classes[name]; ok {
			return rc, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: "node.k8s.io", Resource: "runtimeclasses"}, name)
	}}
}

func admitPod(t *testing.T, pod *corev1.Pod) error {
	t.Helper()
	pods := registry.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespaced: true}
	return runtimeClasses().Admit(context.Background(), &generic.Attributes{Operation: generic.Create, Resource: pods, Name: pod.Name, Object: pod})
}

func podWithClass(class string, mut func(*corev1.PodSpec)) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}}
	if class != "" {
		pod.Spec.RuntimeClassName = &class
	}
	if mut != nil {
		mut(&pod.Spec)
	}
	return pod
}

func TestRuntimeClassRejects(t *testing.T) {
	cpu := func(q string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}
	}
	cases := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"missing class", podWithClass("x", nil), `pods "web" is forbidden: pod rejected: RuntimeClass "x" not found`},
		{"other overhead", podWithClass("kata", func(s *corev1.PodSpec) { s.Overhead = cpu("1") }),
			`pods "web" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead`},
		{"overhead without class", podWithClass("", func(s *corev1.PodSpec) { s.Overhead = cpu("1") }),
			`pods "web" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead`},
		{"overhead with class without one", podWithClass("plain", func(s *corev1.PodSpec) { s.Overhead = cpu("1") }),
			`pods "web" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead`},
		{"selector conflict", podWithClass("kata", func(s *corev1.PodSpec) { s.NodeSelector = map[string]string{"sandbox": "gvisor"} }),
			`pods "web" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = kata; pod.spec.nodeSelector[sandbox] = gvisor`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := admitPod(t, c.pod)
			if !apierrors.IsForbidden(err) || err.Error() != c.want {
				t.Errorf("got %v, want Forbidden %q", err, c.want)
			}
		})
	}
}

func TestRuntimeClassMutates(t *testing.T) {
	own := corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists}
	pod := podWithClass("kata", func(s *corev1.PodSpec) {
		s.NodeSelector = map[string]string{"disk": "ssd"}
		s.Tolerations = []corev1.Toleration{own}
	})
	if err := admitPod(t, pod); err != nil {
		t.Fatal(err)
	}
	want := corev1.PodSpec{
		RuntimeClassName: pod.Spec.RuntimeClassName,
		Overhead:         corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
		NodeSelector:     map[string]string{"disk": "ssd", "sandbox": "kata"},
		Tolerations:      []corev1.Toleration{own, sandboxTol},
	}
	if diff := cmp.Diff(want, pod.Spec); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	same := podWithClass("kata", func(s *corev1.PodSpec) { s.Overhead = want.Overhead.DeepCopy() })
	if err := admitPod(t, same); err != nil {
		t.Errorf("pod with the class's own overhead: %v", err)
	}
}

func TestMergeTolerations(t *testing.T) {
	secs := func(s int64) *int64 { return &s }
	anyKey := corev1.Toleration{Operator: corev1.TolerationOpExists}
	eq := corev1.Toleration{Key: "a", Operator: corev1.TolerationOpEqual, Value: "1", Effect: corev1.TaintEffectNoSchedule}
	short := corev1.Toleration{Key: "b", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs(10)}
	long := corev1.Toleration{Key: "b", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs(60)}
	cases := []struct {
		name          string
		first, second []corev1.Toleration
		want          []corev1.Toleration
	}{
		{"disjoint", []corev1.Toleration{eq}, []corev1.Toleration{short}, []corev1.Toleration{eq, short}},
		{"equal kept once", []corev1.Toleration{eq}, []corev1.Toleration{eq}, []corev1.Toleration{eq}},
		{"wildcard covers all", []corev1.Toleration{eq, short}, []corev1.Toleration{anyKey}, []corev1.Toleration{anyKey}},
		{"longer seconds cover shorter", []corev1.Toleration{short}, []corev1.Toleration{long}, []corev1.Toleration{long}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, mergeTolerations(c.first, c.second)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
