package printers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var componentStatusKinds = map[schema.GroupVersionKind]printer{
	coreKind("ComponentStatus"): {componentStatusColumns, typed(componentStatusRow)},
}

var componentStatusColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Status", "string", "Status of the component conditions"),
	col("Message", "string", "Message of the component conditions"),
	col("Error", "string", "Error of the component conditions"),
}

// componentStatusRow reads the Healthy condition: Healthy when True,
// Unhealthy otherwise, Unknown without one.
func componentStatusRow(cs *corev1.ComponentStatus, _ time.Time) []any {
	status, msg, errMsg := "Unknown", "", ""
	for _, c := range cs.Conditions {
		if c.Type != corev1.ComponentHealthy {
			continue
		}
		status = "Unhealthy"
		if c.Status == corev1.ConditionTrue {
			status = "Healthy"
		}
		msg, errMsg = c.Message, c.Error
		break
	}
	return []any{cs.Name, status, msg, errMsg}
}
