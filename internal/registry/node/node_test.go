package node

import (
	"slices"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var strat = Strategies()["runtimeclasses"]

func class(mut func(*nodev1.RuntimeClass)) *nodev1.RuntimeClass {
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "gvisor", ResourceVersion: "1"}, Handler: "runsc"}
	if mut != nil {
		mut(rc)
	}
	return rc
}

func TestValidate(t *testing.T) {
	tol := corev1.Toleration{Key: "sandbox", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	cases := []struct {
		name string
		mut  func(*nodev1.RuntimeClass)
		want []string
	}{
		{"valid", nil, nil},
		{"full", func(rc *nodev1.RuntimeClass) {
			rc.Overhead = &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}}
			rc.Scheduling = &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox": "true"}, Tolerations: []corev1.Toleration{tol}}
		}, nil},
		{"no handler", func(rc *nodev1.RuntimeClass) { rc.Handler = "" }, []string{"handler"}},
		{"handler not a label", func(rc *nodev1.RuntimeClass) { rc.Handler = "run.sc" }, []string{"handler"}},
		{"bad name", func(rc *nodev1.RuntimeClass) { rc.Name = "G" }, []string{"metadata.name"}},
		{"negative overhead", func(rc *nodev1.RuntimeClass) {
			rc.Overhead = &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("-1")}}
		}, []string{"overhead.podFixed[memory]"}},
		{"overhead not a pod resource", func(rc *nodev1.RuntimeClass) {
			rc.Overhead = &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}}
		}, []string{"overhead.podFixed[pods]"}},
		{"bad selector", func(rc *nodev1.RuntimeClass) {
			rc.Scheduling = &nodev1.Scheduling{NodeSelector: map[string]string{"a b": "x"}}
		}, []string{"scheduling.nodeSelector"}},
		{"duplicate toleration", func(rc *nodev1.RuntimeClass) {
			rc.Scheduling = &nodev1.Scheduling{Tolerations: []corev1.Toleration{tol, tol}}
		}, []string{"scheduling.tolerations[1]"}},
		{"bad toleration", func(rc *nodev1.RuntimeClass) {
			rc.Scheduling = &nodev1.Scheduling{Tolerations: []corev1.Toleration{{Key: "a", Operator: "Maybe"}}}
		}, []string{"scheduling.tolerations[0].operator"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(strat.Validate(class(c.mut))); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	next := class(func(rc *nodev1.RuntimeClass) {
		rc.Handler = "kata"
		rc.Scheduling = &nodev1.Scheduling{NodeSelector: map[string]string{"a": "b"}}
	})
	if got := resttest.Paths(strat.ValidateUpdate(next, class(nil))); !slices.Equal(got, []string{"handler"}) {
		t.Errorf("got %v, want only handler immutable", got)
	}
}
