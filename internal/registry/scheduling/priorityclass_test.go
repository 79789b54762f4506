package scheduling

import (
	"slices"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var strat = Strategies()["priorityclasses"]

func class(name string, value int32, mut func(*schedulingv1.PriorityClass)) *schedulingv1.PriorityClass {
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"}, Value: value}
	if mut != nil {
		mut(pc)
	}
	strat.Default(pc)
	return pc
}

func TestDefault(t *testing.T) {
	if p := class("high", 10, nil).PreemptionPolicy; *p != corev1.PreemptLowerPriority {
		t.Errorf("preemptionPolicy %v", *p)
	}
}

func TestValidate(t *testing.T) {
	always := corev1.PreemptionPolicy("Always")
	cases := []struct {
		name  string
		class *schedulingv1.PriorityClass
		want  []string
	}{
		{"user", class("high", HighestUserDefinablePriority, nil), nil},
		{"global default", class("low", -5, func(pc *schedulingv1.PriorityClass) { pc.GlobalDefault = true }), nil},
		{"system node", class("system-node-critical", 2000001000, nil), nil},
		{"system cluster", class("system-cluster-critical", 2000000000, nil), nil},
		{"too high", class("high", HighestUserDefinablePriority+1, nil), []string{"value"}},
		{"reserved name", class("system-mine", 1, nil), []string{"metadata.name"}},
		{"wrong system value", class("system-node-critical", 5, nil), []string{"metadata.name"}},
		{"bad policy", class("high", 1, func(pc *schedulingv1.PriorityClass) { pc.PreemptionPolicy = &always }), []string{"preemptionPolicy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(strat.Validate(c.class)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	never := corev1.PreemptNever
	next := class("high", 2, func(pc *schedulingv1.PriorityClass) { pc.PreemptionPolicy = &never; pc.Description = "d" })
	want := []string{"preemptionPolicy", "value"}
	if got := resttest.Paths(strat.ValidateUpdate(next, class("high", 1, nil))); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
