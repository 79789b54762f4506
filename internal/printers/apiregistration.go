package printers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
)

var apiregistrationKinds = map[schema.GroupVersionKind]printer{
	apiregv1.SchemeGroupVersion.WithKind("APIService"): {apiServiceColumns, typed(apiServiceRow)},
}

// apiServiceColumns are kube-aggregator's.
var apiServiceColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Service", "string", "The reference to the service that hosts this API endpoint."),
	col("Available", "string", "Whether this service is available."),
	ageColumn,
}

// apiServiceRow prints SERVICE as Local or namespace/name and AVAILABLE as
// the condition's status, with the reason when it is not True.
func apiServiceRow(a *apiregv1.APIService, now time.Time) []any {
	service := "Local"
	if s := a.Spec.Service; s != nil {
		service = s.Namespace + "/" + s.Name
	}
	available := "Unknown"
	if c := a.Status.Condition(apiregv1.Available); c != nil {
		available = string(c.Status)
		if c.Status != apiregv1.ConditionTrue {
			available = fmt.Sprintf("%s (%s)", c.Status, c.Reason)
		}
	}
	return []any{a.Name, service, available, age(a.CreationTimestamp, now)}
}
