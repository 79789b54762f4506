package apiregistration_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry/apiregistration"
	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
	wt "github.com/skiff-sh/skiff/internal/registry/workload/workloadtest"
)

var strategy = apiregistration.Strategies()["apiservices"]

func apiService(mutate func(*apiregv1.APIService)) *apiregv1.APIService {
	a := &apiregv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: "v1alpha1.wardle.example.com"},
		Spec: apiregv1.APIServiceSpec{
			Group: "wardle.example.com", Version: "v1alpha1", GroupPriorityMinimum: 1000, VersionPriority: 15,
			Service: &apiregv1.ServiceReference{Namespace: "wardle", Name: "api"},
		},
	}
	if mutate != nil {
		mutate(a)
	}
	return a
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*apiregv1.APIService)
		want   []string
	}{
		{"valid", nil, nil},
		{"local", func(a *apiregv1.APIService) { a.Spec.Service = nil }, nil},
		{"core", func(a *apiregv1.APIService) { a.Name, a.Spec.Group, a.Spec.Version = "v1.", "", "v1" }, nil},
		{"name not version.group", func(a *apiregv1.APIService) { a.Name = "wardle" }, []string{"metadata.name: Invalid value"}},
		{"empty group", func(a *apiregv1.APIService) { a.Name, a.Spec.Group = "v1alpha1.", "" }, []string{"spec.group: Required value"}},
		{"bad version", func(a *apiregv1.APIService) { a.Name, a.Spec.Version = "V1.wardle.example.com", "V1" }, []string{"spec.version: Invalid value"}},
		{"no priorities", func(a *apiregv1.APIService) { a.Spec.GroupPriorityMinimum, a.Spec.VersionPriority = 0, 0 }, []string{"spec.groupPriorityMinimum: Invalid value", "spec.versionPriority: Invalid value"}},
		{"priorities too high", func(a *apiregv1.APIService) { a.Spec.GroupPriorityMinimum, a.Spec.VersionPriority = 20001, 1001 }, []string{"spec.groupPriorityMinimum: Invalid value", "spec.versionPriority: Invalid value"}},
		{"service without name", func(a *apiregv1.APIService) { a.Spec.Service = &apiregv1.ServiceReference{} }, []string{"spec.service.name: Required value", "spec.service.namespace: Required value"}},
		{"bad port", func(a *apiregv1.APIService) { p := int32(70000); a.Spec.Service.Port = &p }, []string{"spec.service.port: Invalid value"}},
		{"caBundle and insecure", func(a *apiregv1.APIService) { a.Spec.CABundle, a.Spec.InsecureSkipTLSVerify = []byte("x"), true }, []string{"spec.insecureSkipTLSVerify: Invalid value"}},
		{"local with caBundle", func(a *apiregv1.APIService) { a.Spec.Service, a.Spec.CABundle = nil, []byte("x") }, []string{"spec.caBundle: Invalid value"}},
		{"local insecure", func(a *apiregv1.APIService) { a.Spec.Service, a.Spec.InsecureSkipTLSVerify = nil, true }, []string{"spec.insecureSkipTLSVerify: Invalid value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wt.Expect(t, wt.Create(strategy, apiService(c.mutate)), c.want...)
		})
	}
}

func TestDefaultsPortAndClearsStatus(t *testing.T) {
	a := apiService(func(a *apiregv1.APIService) {
		a.Status.Conditions = []apiregv1.APIServiceCondition{{Type: apiregv1.Available, Status: apiregv1.ConditionTrue}}
	})
	wt.Expect(t, wt.Create(strategy, a))
	if a.Spec.Service.Port == nil || *a.Spec.Service.Port != 443 {
		t.Errorf("port = %v, want 443", a.Spec.Service.Port)
	}
	if len(a.Status.Conditions) != 0 {
		t.Errorf("status kept on create: %+v", a.Status)
	}
}

func TestUpdatesKeepTheOtherHalf(t *testing.T) {
	old := apiService(func(a *apiregv1.APIService) {
		a.Status.Conditions = []apiregv1.APIServiceCondition{{Type: apiregv1.Available, Status: apiregv1.ConditionTrue, Reason: "Passed"}}
	})
	upd := apiService(func(a *apiregv1.APIService) { a.Spec.VersionPriority = 20 })
	wt.Expect(t, wt.Update(strategy, upd, old))
	if !upd.IsAvailable() {
		t.Errorf("spec update dropped the status: %+v", upd.Status)
	}
	st := strategy.(apiregistration.Strategy)
	status := apiService(func(a *apiregv1.APIService) { a.Spec.Group = "other.example.com" })
	st.PrepareForStatusUpdate(status, old)
	if status.Spec.Group != "wardle.example.com" {
		t.Errorf("status update changed the spec: %+v", status.Spec)
	}
}
