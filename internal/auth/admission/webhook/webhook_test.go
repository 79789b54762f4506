package webhook

import (
	"context"
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

var (
	pods       = registry.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Kind: "Pod", Namespaced: true}
	namespaces = registry.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, Kind: "Namespace"}
	deploys    = registry.Resource{GroupVersionResource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, Kind: "Deployment", Namespaced: true}
)

func TestRuleMatches(t *testing.T) {
	r := func(ops, group, version string, scope admissionregv1.ScopeType, res ...string) admissionregv1.RuleWithOperations {
		return admissionregv1.RuleWithOperations{
			Operations: []admissionregv1.OperationType{admissionregv1.OperationType(ops)},
			Rule:       admissionregv1.Rule{APIGroups: []string{group}, APIVersions: []string{version}, Resources: res, Scope: &scope},
		}
	}
	cases := []struct {
		name       string
		rule       admissionregv1.RuleWithOperations
		res        registry.Resource
		op         generic.Operation
		sub        string
		equivalent bool
		want       bool
	}{
		{"exact", r("CREATE", "", "v1", "*", "pods"), pods, generic.Create, "", false, true},
		{"other operation", r("UPDATE", "", "v1", "*", "pods"), pods, generic.Create, "", false, false},
		{"all operations", r("*", "", "v1", "*", "pods"), pods, generic.Delete, "", false, true},
		{"star skips subresources", r("*", "*", "*", "*", "*"), pods, generic.Update, "status", false, false},
		{"star/status", r("*", "*", "*", "*", "*/status"), pods, generic.Update, "status", false, true},
		{"pods/* not pods", r("*", "", "v1", "*", "pods/*"), pods, generic.Update, "", false, false},
		{"star/star", r("*", "*", "*", "*", "*/*"), pods, generic.Update, "status", false, true},
		{"other group", r("*", "apps", "v1", "*", "pods"), pods, generic.Create, "", false, false},
		{"other version exact", r("*", "apps", "v1beta1", "*", "deployments"), deploys, generic.Create, "", false, false},
		{"other version equivalent", r("*", "apps", "v1beta1", "*", "deployments"), deploys, generic.Create, "", true, true},
		{"cluster scope on pods", r("*", "", "v1", "Cluster", "pods"), pods, generic.Create, "", false, false},
		{"cluster scope on namespaces", r("*", "", "v1", "Cluster", "namespaces"), namespaces, generic.Create, "", false, true},
		{"namespaced scope", r("*", "", "v1", "Namespaced", "*"), pods, generic.Create, "", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &generic.Attributes{Operation: c.op, Resource: c.res, Subresource: c.sub}
			if got := RuleMatches(&c.rule, a, c.equivalent); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestApplyPatch(t *testing.T) {
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"a": "1"}}}
	changed, err := applyPatch(pod, []byte(`[{"op":"add","path":"/metadata/labels/b","value":"2"},{"op":"replace","path":"/metadata/labels/a","value":"3"}]`))
	if err != nil || !changed || pod.Labels["a"] != "3" || pod.Labels["b"] != "2" {
		t.Errorf("changed %v, err %v, labels %v", changed, err, pod.Labels)
	}
	if changed, err := applyPatch(pod, []byte(`[{"op":"test","path":"/metadata/name","value":"p"}]`)); err != nil || changed {
		t.Errorf("no-op patch: changed %v, err %v", changed, err)
	}
	if _, err := applyPatch(pod, []byte(`[{"op":"remove","path":"/spec/nothing"}]`)); err == nil {
		t.Error("patch of a missing path applied")
	}
}

func TestDenied(t *testing.T) {
	cases := []struct {
		st       *metav1.Status
		wantCode int32
		wantMsg  string
	}{
		{nil, 400, `admission webhook "w.example.com" denied the request without explanation`},
		{&metav1.Status{Code: 403, Message: "no"}, 403, `admission webhook "w.example.com" denied the request: no`},
		{&metav1.Status{Reason: "Bad"}, 400, `admission webhook "w.example.com" denied the request: Bad`},
	}
	for _, c := range cases {
		err := denied("w.example.com", c.st).(*apierrors.StatusError)
		if err.ErrStatus.Code != c.wantCode || err.Error() != c.wantMsg || err.ErrStatus.Status != metav1.StatusFailure {
			t.Errorf("got %d %q, want %d %q", err.ErrStatus.Code, err.Error(), c.wantCode, c.wantMsg)
		}
	}
}

// staticSource serves fixed configurations.
func staticSource(objs ...runtime.Object) Source {
	return Source{List: func() ([]runtime.Object, int64) { return objs, 1 }, Revision: func() int64 { return 1 }}
}

// TestDryRunSideEffects: a dry run refuses a matching webhook whose side
// effects it could not skip (stored before v1 made them invalid), before
// any call, whatever its failurePolicy.
func TestDryRunSideEffects(t *testing.T) {
	ignore, unknown := admissionregv1.Ignore, admissionregv1.SideEffectClassUnknown
	url := "https://127.0.0.1:1/never-called"
	cfg := &admissionregv1.ValidatingWebhookConfiguration{Webhooks: []admissionregv1.ValidatingWebhook{{
		Name: "side.example.com", ClientConfig: admissionregv1.WebhookClientConfig{URL: &url}, FailurePolicy: &ignore, SideEffects: &unknown,
		Rules: []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{"*"}, Rule: admissionregv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}}}},
	}}}
	p := New(Config{Validating: staticSource(cfg), Mutating: staticSource()})
	a := &generic.Attributes{Operation: generic.Create, Resource: pods, Namespace: "default", Name: "p", Object: &corev1.Pod{}, DryRun: true}
	err := p.Validate(context.Background(), a)
	if !apierrors.IsBadRequest(err) || err.Error() != `admission webhook "side.example.com" does not support dry run` {
		t.Errorf("dry run: %v", err)
	}
	a.DryRun = false
	if err := p.Validate(context.Background(), a); err != nil {
		t.Errorf("Ignore on a failed call: %v", err)
	}
}

func TestMatchConditions(t *testing.T) {
	a := &generic.Attributes{Operation: generic.Create, Resource: pods, Namespace: "default", Name: "p",
		Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"tier": "web"}}}}
	req, err := NewRequest(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	cond := func(expr string) []admissionregv1.MatchCondition {
		return []admissionregv1.MatchCondition{{Name: "c", Expression: expr}}
	}
	for expr, want := range map[string]bool{
		"object.metadata.labels.tier == 'web'": true,
		"request.operation == 'UPDATE'":        false,
		"oldObject == null":                    true,
	} {
		if got, err := conditionsHold(cond(expr), req); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", expr, got, err, want)
		}
	}
	if _, err := conditionsHold(cond("object.spec.nothing"), req); err == nil {
		t.Error("a missing field evaluated")
	}
}

func TestResolveService(t *testing.T) {
	c := &caller{services: func(_ context.Context, ns, name string) (*corev1.Service, error) {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{ClusterIP: "10.43.0.9"}}, nil
	}}
	port := int32(8443)
	ep, err := c.resolve(context.Background(), &admissionregv1.WebhookClientConfig{Service: &admissionregv1.ServiceReference{Namespace: "certs", Name: "hook", Port: &port, Path: new("/mutate")}})
	want := endpoint{url: "https://hook.certs.svc:8443/mutate", serverName: "hook.certs.svc", dial: "10.43.0.9:8443"}
	if err != nil || ep != want {
		t.Errorf("got %+v, %v; want %+v", ep, err, want)
	}
}
