package resourcequota

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestScoped(t *testing.T) {
	deadline := int64(60)
	pod := func(name string, mut func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
		if mut != nil {
			mut(p)
		}
		return p
	}
	objs := Objects{
		Pods: []*corev1.Pod{
			pod("besteffort", nil),
			pod("burstable", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests = rl("cpu", "100m") }),
			pod("job", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = &deadline }),
			pod("high", func(p *corev1.Pod) {
				p.Spec.PriorityClassName = "high"
				p.Spec.Containers[0].Resources.Limits = rl("memory", "1Gi")
			}),
			pod("cross", func(p *corev1.Pod) {
				p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
					{TopologyKey: "kubernetes.io/hostname", NamespaceSelector: &metav1.LabelSelector{}},
				}}}
			}),
		},
		ConfigMaps: []*corev1.ConfigMap{{}},
	}
	names := func(o Objects) []string {
		var out []string
		for _, p := range o.Pods {
			out = append(out, p.Name)
		}
		return out
	}
	for _, c := range []struct {
		name string
		spec corev1.ResourceQuotaSpec
		want []string
	}{
		{"no scopes", corev1.ResourceQuotaSpec{}, []string{"besteffort", "burstable", "job", "high", "cross"}},
		{"BestEffort", corev1.ResourceQuotaSpec{Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}}, []string{"besteffort", "job", "cross"}},
		{"NotBestEffort", corev1.ResourceQuotaSpec{Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort}}, []string{"burstable", "high"}},
		{"Terminating", corev1.ResourceQuotaSpec{Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeTerminating}}, []string{"job"}},
		{"NotTerminating and BestEffort", corev1.ResourceQuotaSpec{Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotTerminating, corev1.ResourceQuotaScopeBestEffort}}, []string{"besteffort", "cross"}},
		{"PriorityClass In high", corev1.ResourceQuotaSpec{ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
			{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"high"}},
		}}}, []string{"high"}},
		{"PriorityClass NotIn high", corev1.ResourceQuotaSpec{ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
			{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpNotIn, Values: []string{"high"}},
		}}}, []string{"besteffort", "burstable", "job", "cross"}},
		{"CrossNamespacePodAffinity", corev1.ResourceQuotaSpec{Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeCrossNamespacePodAffinity}}, []string{"cross"}},
	} {
		got := Scoped(c.spec, objs)
		if g := names(got); !slices.Equal(g, c.want) {
			t.Errorf("%s: pods %v, want %v", c.name, g, c.want)
		}
		if len(c.spec.Scopes) > 0 && len(got.ConfigMaps) != 0 {
			t.Errorf("%s: a scoped quota counts configmaps", c.name)
		}
	}
}
