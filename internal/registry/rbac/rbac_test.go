package rbac

import (
	"slices"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

var strats = Strategies()

func meta(name, ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "1"}
}

var podReader = rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}

func TestRoles(t *testing.T) {
	urls := rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}
	cases := []struct {
		name     string
		resource string
		obj      runtime.Object
		want     []string
	}{
		{"role", "roles", &rbacv1.Role{ObjectMeta: meta("system:r", "ns"), Rules: []rbacv1.PolicyRule{podReader}}, nil},
		{"bad name", "roles", &rbacv1.Role{ObjectMeta: meta("a/b", "ns")}, []string{"metadata.name"}},
		{"no verbs", "roles", &rbacv1.Role{ObjectMeta: meta("r", "ns"), Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}}}}, []string{"rules[0].verbs"}},
		{"no groups or resources", "roles", &rbacv1.Role{ObjectMeta: meta("r", "ns"), Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}}, []string{"rules[0].apiGroups", "rules[0].resources"}},
		{"urls in role", "roles", &rbacv1.Role{ObjectMeta: meta("r", "ns"), Rules: []rbacv1.PolicyRule{urls}}, []string{"rules[0].nonResourceURLs"}},
		{"urls in cluster role", "clusterroles", &rbacv1.ClusterRole{ObjectMeta: meta("r", ""), Rules: []rbacv1.PolicyRule{urls}}, nil},
		{"urls and resources", "clusterroles", &rbacv1.ClusterRole{ObjectMeta: meta("r", ""), Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/x"}, Resources: []string{"pods"}}}}, []string{"rules[0].nonResourceURLs"}},
		{"empty aggregation", "clusterroles", &rbacv1.ClusterRole{ObjectMeta: meta("r", ""), AggregationRule: &rbacv1.AggregationRule{}}, []string{"aggregationRule.clusterRoleSelectors"}},
		{"bad selector", "clusterroles", &rbacv1.ClusterRole{ObjectMeta: meta("r", ""), AggregationRule: &rbacv1.AggregationRule{
			ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"a": "b c"}}},
		}}, []string{"aggregationRule.clusterRoleSelectors[0]", "aggregationRule.clusterRoleSelectors[0].matchLabels"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(strats[c.resource].Validate(c.obj)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func roleBinding(mut func(*rbacv1.RoleBinding)) *rbacv1.RoleBinding {
	b := &rbacv1.RoleBinding{
		ObjectMeta: meta("b", "ns"),
		RoleRef:    rbacv1.RoleRef{Kind: "Role", Name: "r"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "alice"}, {Kind: "ServiceAccount", Name: "default"}},
	}
	if mut != nil {
		mut(b)
	}
	strats["rolebindings"].Default(b)
	return b
}

func clusterRoleBinding(mut func(*rbacv1.ClusterRoleBinding)) *rbacv1.ClusterRoleBinding {
	b := &rbacv1.ClusterRoleBinding{
		ObjectMeta: meta("system:b", ""),
		RoleRef:    rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", Name: "system:masters"}, {Kind: "ServiceAccount", Name: "sa", Namespace: "ns"}},
	}
	if mut != nil {
		mut(b)
	}
	strats["clusterrolebindings"].Default(b)
	return b
}

func TestDefaultBinding(t *testing.T) {
	b := roleBinding(nil)
	if b.RoleRef.APIGroup != rbacv1.GroupName || b.Subjects[0].APIGroup != rbacv1.GroupName || b.Subjects[1].APIGroup != "" {
		t.Errorf("defaults: %+v %+v", b.RoleRef, b.Subjects)
	}
}

func TestBindings(t *testing.T) {
	cases := []struct {
		name     string
		resource string
		obj      runtime.Object
		want     []string
	}{
		{"role binding", "rolebindings", roleBinding(nil), nil},
		{"cluster role binding", "clusterrolebindings", clusterRoleBinding(nil), nil},
		{"bad kind", "rolebindings", roleBinding(func(b *rbacv1.RoleBinding) { b.RoleRef.Kind = "Thing" }), []string{"roleRef.kind"}},
		{"bad group", "rolebindings", roleBinding(func(b *rbacv1.RoleBinding) { b.RoleRef.APIGroup = "x" }), []string{"roleRef.apiGroup"}},
		{"no role name", "rolebindings", roleBinding(func(b *rbacv1.RoleBinding) { b.RoleRef.Name = "" }), []string{"roleRef.name"}},
		{"role in cluster binding", "clusterrolebindings", clusterRoleBinding(func(b *rbacv1.ClusterRoleBinding) { b.RoleRef.Kind = "Role" }), []string{"roleRef.kind"}},
		{"sa without namespace", "clusterrolebindings", clusterRoleBinding(func(b *rbacv1.ClusterRoleBinding) { b.Subjects[1].Namespace = "" }), []string{"subjects[1].namespace"}},
		{"bad subject kind", "rolebindings", roleBinding(func(b *rbacv1.RoleBinding) { b.Subjects[0].Kind = "Robot" }), []string{"subjects[0].kind"}},
		{"sa with group", "rolebindings", roleBinding(func(b *rbacv1.RoleBinding) { b.Subjects[1].APIGroup = "x" }), []string{"subjects[1].apiGroup"}},
		{"no subject name", "rolebindings", roleBinding(func(b *rbacv1.RoleBinding) { b.Subjects[0].Name = "" }), []string{"subjects[0].name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(strats[c.resource].Validate(c.obj)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestBindingUpdate(t *testing.T) {
	moved := roleBinding(func(b *rbacv1.RoleBinding) { b.RoleRef.Name = "other" })
	errs := strats["rolebindings"].ValidateUpdate(moved, roleBinding(nil))
	if got := resttest.Paths(errs); !slices.Equal(got, []string{"roleRef"}) || errs[0].Detail != "cannot change roleRef" {
		t.Errorf("got %v", errs)
	}
	more := clusterRoleBinding(func(b *rbacv1.ClusterRoleBinding) { b.Subjects = b.Subjects[:1] })
	if errs := strats["clusterrolebindings"].ValidateUpdate(more, clusterRoleBinding(nil)); len(errs) > 0 {
		t.Errorf("subjects are mutable: %v", errs)
	}
}
