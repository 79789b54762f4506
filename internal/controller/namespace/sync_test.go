package namespace

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConditions(t *testing.T) {
	p := progress{
		deleteErrs: []error{errors.New("delete pods: boom")},
		remaining:  map[string]int{"pods": 2, "secrets": 1},
		finalizers: map[string]int{"example.com/hold": 1},
	}
	got := map[corev1.NamespaceConditionType]corev1.NamespaceCondition{}
	for _, c := range conditions(p, metav1.Now()) {
		got[c.Type] = c
	}
	for typ, want := range map[corev1.NamespaceConditionType]string{
		corev1.NamespaceDeletionDiscoveryFailure: "False " + reasonDiscovered,
		corev1.NamespaceDeletionContentFailure:   "True " + reasonContentFailed,
		corev1.NamespaceContentRemaining:         "True " + reasonResourcesRemain,
		corev1.NamespaceFinalizersRemaining:      "True " + reasonFinalizersRemain,
	} {
		if c := got[typ]; string(c.Status)+" "+c.Reason != want {
			t.Errorf("%s = %s %s, want %s", typ, c.Status, c.Reason, want)
		}
	}
	if m := got[corev1.NamespaceContentRemaining].Message; m != "Some resources are remaining: pods has 2 resource instances, secrets has 1 resource instances" {
		t.Errorf("remaining message %q", m)
	}
}
