package printers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
)

// testScheme knows every served kind: client-go's and skiff's APIService.
var testScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(scheme.AddToScheme(s))
	utilruntime.Must(apiregv1.AddToScheme(s))
	return s
}()

func TestAPIService(t *testing.T) {
	local := &apiregv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1.apps"}}
	local.Status.Conditions = []apiregv1.APIServiceCondition{{Type: apiregv1.Available, Status: apiregv1.ConditionTrue, Reason: "Local"}}
	remote := &apiregv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1beta1.metrics.k8s.io"}}
	remote.Spec.Service = &apiregv1.ServiceReference{Namespace: "kube-system", Name: "metrics-server"}
	remote.Status.Conditions = []apiregv1.APIServiceCondition{{Type: apiregv1.Available, Status: apiregv1.ConditionFalse, Reason: "MissingEndpoints"}}
	fresh := &apiregv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1.example.com"}}
	for _, c := range []struct {
		obj  *apiregv1.APIService
		want []any
	}{
		{local, []any{"v1.apps", "Local", "True", "<unknown>"}},
		{remote, []any{"v1beta1.metrics.k8s.io", "kube-system/metrics-server", "False (MissingEndpoints)", "<unknown>"}},
		{fresh, []any{"v1.example.com", "Local", "Unknown", "<unknown>"}},
	} {
		if diff := cmp.Diff(c.want, cells(t, c.obj)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.obj.Name, diff)
		}
	}
}
