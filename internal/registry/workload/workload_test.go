package workload_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/workload"
	"github.com/skiff-sh/skiff/internal/registry/workload/workloadtest"
)

var p = field.NewPath("x")

func TestValidateIntOrPercent(t *testing.T) {
	cases := []struct {
		v    *intstr.IntOrString
		want []string
	}{
		{nil, nil},
		{workload.Ptr(intstr.FromInt32(3)), nil},
		{workload.Ptr(intstr.FromInt32(-1)), []string{"x: Invalid value"}},
		{workload.Ptr(intstr.FromString("25%")), nil},
		{workload.Ptr(intstr.FromString("25")), []string{"x: Invalid value"}},
		{workload.Ptr(intstr.FromString("150%")), []string{"x: Invalid value"}},
	}
	for _, c := range cases {
		errs := append(workload.ValidateIntOrPercent(c.v, p), workload.NotAbove100Percent(c.v, p)...)
		workloadtest.Expect(t, errs, c.want...)
	}
}

func TestIntOrPercentValue(t *testing.T) {
	if n, pct := workload.IntOrPercentValue(workload.Ptr(intstr.FromString("40%"))); n != 40 || !pct {
		t.Errorf("40%% = %d, %v", n, pct)
	}
	if n, pct := workload.IntOrPercentValue(workload.Ptr(intstr.FromInt32(2))); n != 2 || pct {
		t.Errorf("2 = %d, %v", n, pct)
	}
}

func TestValidateSelector(t *testing.T) {
	cases := []struct {
		name string
		sel  *metav1.LabelSelector
		want []string
	}{
		{"missing", nil, []string{"x: Required value"}},
		{"empty", &metav1.LabelSelector{}, []string{"x: Invalid value"}},
		{"bad key", &metav1.LabelSelector{MatchLabels: map[string]string{"-a": "b"}}, []string{"x.matchLabels: Invalid value"}},
		{"ok", &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, errs := workload.ValidateSelector(c.sel, "empty", p)
			workloadtest.Expect(t, errs, c.want...)
			if (sel != nil) != (len(c.want) == 0) {
				t.Errorf("selector = %v", sel)
			}
		})
	}
}

func TestValidateTemplateSelectorMismatch(t *testing.T) {
	sel, _ := workload.ValidateSelector(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}, "", p)
	tmpl := workloadtest.Template(map[string]string{"app": "b"})
	tmpl.Spec.RestartPolicy = "Always"
	tmpl.Spec.DNSPolicy = "ClusterFirst"
	errs := workload.ValidateTemplate(&tmpl, sel, field.NewPath("spec", "template"))
	if len(errs) == 0 || errs[0].Field != "spec.template.metadata.labels" || errs[0].Detail != "`selector` does not match template `labels`" {
		t.Errorf("errors = %v", errs)
	}
}

func TestStatusCounts(t *testing.T) {
	errs := workload.NonNegativeCounts(p, workload.C("a", int32(-1)), workload.C("b", int64(0)))
	errs = append(errs, workload.AtMost(p, 2, "too many", workload.C("c", int32(3)))...)
	errs = append(errs, workload.NotDecremented(workload.Ptr[int32](1), workload.Ptr[int32](2), p.Child("d"))...)
	errs = append(errs, workload.NotDecremented(nil, nil, p.Child("e"))...)
	workloadtest.Expect(t, errs, "x.a: Invalid value", "x.c: Invalid value", "x.d: Invalid value")
}

func deployment(replicas int32, status int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "default", Generation: 4, ResourceVersion: "7"},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status:     appsv1.DeploymentStatus{Replicas: status},
	}
}

func TestStrategyStatusSplit(t *testing.T) {
	s := workload.Strategy{}
	obj := deployment(1, 5)
	s.PrepareForCreate(obj)
	if obj.Status.Replicas != 0 {
		t.Errorf("create kept status %+v", obj.Status)
	}

	old, upd := deployment(1, 5), deployment(3, 9)
	s.PrepareForUpdate(upd, old)
	if upd.Status.Replicas != 5 || upd.Generation != 5 {
		t.Errorf("update: status %d generation %d, want 5 5", upd.Status.Replicas, upd.Generation)
	}
	same := deployment(1, 9)
	s.PrepareForUpdate(same, old)
	if same.Generation != 4 {
		t.Errorf("unchanged spec bumped generation to %d", same.Generation)
	}

	st := deployment(7, 9)
	st.Labels = map[string]string{"x": "y"}
	s.PrepareForStatusUpdate(st, old)
	if *st.Spec.Replicas != 1 || st.Status.Replicas != 9 || st.Labels != nil {
		t.Errorf("status update: %+v", st)
	}
}

func TestStrategyHooks(t *testing.T) {
	var calls []string
	note := func(s string) func(runtime.Object) field.ErrorList {
		return func(runtime.Object) field.ErrorList { calls = append(calls, s); return nil }
	}
	s := workload.Strategy{ValidateFn: note("body"), ValidateCreateFn: note("create")}
	obj := deployment(1, 0)
	workloadtest.Expect(t, s.Validate(obj))
	workloadtest.Expect(t, s.ValidateUpdate(obj, deployment(1, 0)))
	if want := []string{"body", "create", "body"}; len(calls) != 3 || calls[1] != want[1] || calls[2] != want[2] {
		t.Errorf("calls = %v, want %v", calls, want)
	}
}

func TestSelectableFields(t *testing.T) {
	set := workload.SelectableFields(deployment(1, 0), "status.replicas", "0")
	if set["metadata.name"] != "d" || set["metadata.namespace"] != "default" || set["status.replicas"] != "0" {
		t.Errorf("fields = %v", set)
	}
}
