package admission

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

func TestDefaultTolerationSeconds(t *testing.T) {
	pods := registry.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespaced: true}
	secs := func(n int64) *int64 { return &n }
	notReady := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs(300)}
	unreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs(300)}
	own := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, TolerationSeconds: secs(5)}
	everything := corev1.Toleration{Operator: corev1.TolerationOpExists}
	for _, tc := range []struct {
		name string
		op   generic.Operation
		in   []corev1.Toleration
		want []corev1.Toleration
	}{
		{"adds both", generic.Create, nil, []corev1.Toleration{notReady, unreachable}},
		{"keeps the pod's own", generic.Create, []corev1.Toleration{own}, []corev1.Toleration{own, notReady}},
		{"tolerates everything", generic.Create, []corev1.Toleration{everything}, []corev1.Toleration{everything}},
		{"update untouched", generic.Update, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tc.in}}
			a := &generic.Attributes{Operation: tc.op, Resource: pods, Object: pod}
			if err := (DefaultTolerationSeconds{Seconds: 300}).Admit(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, pod.Spec.Tolerations); d != "" {
				t.Errorf("tolerations (-want +got):\n%s", d)
			}
		})
	}
}
