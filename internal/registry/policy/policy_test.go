package policy_test

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/registry/policy"
	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
	wt "github.com/skiff-sh/skiff/internal/registry/workload/workloadtest"
)

var strategy = policy.Strategies()["poddisruptionbudgets"]

func pdb(mutate func(*policyv1.PodDisruptionBudget)) *policyv1.PodDisruptionBudget {
	p := &policyv1.PodDisruptionBudget{ObjectMeta: wt.Meta("web"), Spec: policyv1.PodDisruptionBudgetSpec{
		Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		MinAvailable: workload.Ptr(intstr.FromInt32(1)),
	}}
	if mutate != nil {
		mutate(p)
	}
	return p
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*policyv1.PodDisruptionBudget)
		want   []string
	}{
		{"valid", nil, nil},
		{"percent", func(p *policyv1.PodDisruptionBudget) {
			p.Spec.MinAvailable, p.Spec.MaxUnavailable = nil, workload.Ptr(intstr.FromString("50%"))
		}, nil},
		{"neither", func(p *policyv1.PodDisruptionBudget) { p.Spec.MinAvailable = nil }, nil},
		{"both", func(p *policyv1.PodDisruptionBudget) { p.Spec.MaxUnavailable = workload.Ptr(intstr.FromInt32(1)) }, []string{"spec: Invalid value"}},
		{"negative", func(p *policyv1.PodDisruptionBudget) { p.Spec.MinAvailable = workload.Ptr(intstr.FromInt32(-1)) }, []string{"spec.minAvailable: Invalid value"}},
		{"above 100%", func(p *policyv1.PodDisruptionBudget) {
			p.Spec.MinAvailable, p.Spec.MaxUnavailable = nil, workload.Ptr(intstr.FromString("120%"))
		}, []string{"spec.maxUnavailable: Invalid value"}},
		{"bad selector", func(p *policyv1.PodDisruptionBudget) {
			p.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}
		}, []string{"spec.selector.matchExpressions[0].operator: Invalid value"}},
		{"eviction policy", func(p *policyv1.PodDisruptionBudget) {
			p.Spec.UnhealthyPodEvictionPolicy = workload.Ptr(policyv1.UnhealthyPodEvictionPolicyType("Never"))
		}, []string{"spec.unhealthyPodEvictionPolicy: Unsupported value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wt.Expect(t, wt.Create(strategy, pdb(c.mutate)), c.want...)
		})
	}
}

func TestUpdateAndStatus(t *testing.T) {
	old := pdb(nil)
	wt.Create(strategy, old)
	old.Status.ExpectedPods = 3

	upd := old.DeepCopy()
	upd.Spec.MinAvailable = workload.Ptr(intstr.FromInt32(2))
	upd.Status = policyv1.PodDisruptionBudgetStatus{}
	wt.Expect(t, wt.Update(strategy, upd, old))
	if upd.Generation != 2 || upd.Status.ExpectedPods != 3 {
		t.Errorf("generation %d status %+v", upd.Generation, upd.Status)
	}

	st := old.DeepCopy()
	st.Spec.MinAvailable = nil
	st.Status = policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: -1, Conditions: []metav1.Condition{{Type: "DisruptionAllowed"}}}
	s := strategy.(rest.StatusStrategy)
	s.PrepareForStatusUpdate(st, old)
	if st.Spec.MinAvailable == nil {
		t.Error("status update changed spec")
	}
	errs := s.ValidateStatusUpdate(st, old)
	keys := wt.Keys(errs)
	if len(keys) < 2 || keys[len(keys)-1] != "status.disruptionsAllowed: Invalid value" {
		t.Errorf("errors %v", keys)
	}
}
