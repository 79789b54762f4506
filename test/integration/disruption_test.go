package integration

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/disruption"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestDisruptionBudgetStatus(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"disruption": disruption.New}, nil)
	pods := c.Client.CoreV1().Pods("default")
	for i := range 3 {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Labels: map[string]string{"app": "web"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
		}
		created, err := pods.Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			created.Status.Phase = corev1.PodRunning
			created.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			if _, err := pods.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	minAvailable := intstr.FromInt32(1)
	pdbs := c.Client.PolicyV1().PodDisruptionBudgets("default")
	_, err := pdbs.Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &minAvailable,
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := func(expected, healthy, desired, allowed int32, reason string) func() bool {
		return func() bool {
			pdb, err := pdbs.Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return false
			}
			st := pdb.Status
			cond := apimeta.FindStatusCondition(st.Conditions, policyv1.DisruptionAllowedCondition)
			return st.ObservedGeneration == pdb.Generation && st.ExpectedPods == expected &&
				st.CurrentHealthy == healthy && st.DesiredHealthy == desired &&
				st.DisruptionsAllowed == allowed && cond != nil && cond.Reason == reason
		}
	}
	waitFor(t, status(3, 2, 1, 1, policyv1.SufficientPodsReason), "status 3/2/1/1 SufficientPods")

	pdb, err := pdbs.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	maxUnavailable := intstr.FromString("34%")
	pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable = nil, &maxUnavailable
	if _, err := pdbs.Update(ctx, pdb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// 34% of 3 rounds up to 2 unavailable: desired 1.
	waitFor(t, status(3, 2, 1, 1, policyv1.SufficientPodsReason), "status after maxUnavailable 34%")

	if err := pods.Delete(ctx, "web-0", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	// 2 expected, 34% of 2 rounds up to 1: desired 1, healthy 1.
	waitFor(t, status(2, 1, 1, 0, policyv1.InsufficientPodsReason), "status 2/1/1/0 InsufficientPods")
}
