package printers

import (
	"time"

	fc "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var flowcontrolKinds = map[schema.GroupVersionKind]printer{
	fc.SchemeGroupVersion.WithKind("FlowSchema"):                 {flowSchemaColumns, typed(flowSchemaRow)},
	fc.SchemeGroupVersion.WithKind("PriorityLevelConfiguration"): {priorityLevelColumns, typed(priorityLevelRow)},
}

var flowSchemaColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("PriorityLevel", "string", fc.PriorityLevelConfigurationReference{}.SwaggerDoc()["name"]),
	col("MatchingPrecedence", "string", fc.FlowSchemaSpec{}.SwaggerDoc()["matchingPrecedence"]),
	col("DistinguisherMethod", "string", fc.FlowSchemaSpec{}.SwaggerDoc()["distinguisherMethod"]),
	ageColumn,
	col("MissingPL", "string", "indicates whether the priority level referenced by this flow schema exists"),
}

// flowSchemaRow shows the Dangling condition as MissingPL ("?" until the
// API server has set it).
func flowSchemaRow(fs *fc.FlowSchema, now time.Time) []any {
	method := "<none>"
	if dm := fs.Spec.DistinguisherMethod; dm != nil {
		method = string(dm.Type)
	}
	missing := "?"
	for _, c := range fs.Status.Conditions {
		if c.Type == fc.FlowSchemaConditionDangling {
			missing = string(c.Status)
			break
		}
	}
	return []any{fs.Name, fs.Spec.PriorityLevelConfiguration.Name, int64(fs.Spec.MatchingPrecedence), method, age(fs.CreationTimestamp, now), missing}
}

var priorityLevelColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Type", "string", fc.PriorityLevelConfigurationSpec{}.SwaggerDoc()["type"]),
	col("NominalConcurrencyShares", "string", fc.LimitedPriorityLevelConfiguration{}.SwaggerDoc()["nominalConcurrencyShares"]),
	col("Queues", "string", fc.QueuingConfiguration{}.SwaggerDoc()["queues"]),
	col("HandSize", "string", fc.QueuingConfiguration{}.SwaggerDoc()["handSize"]),
	col("QueueLengthLimit", "string", fc.QueuingConfiguration{}.SwaggerDoc()["queueLengthLimit"]),
	ageColumn,
}

// priorityLevelRow shows "<none>" where a field does not apply (exempt
// levels, levels that reject instead of queueing).
func priorityLevelRow(pl *fc.PriorityLevelConfiguration, now time.Time) []any {
	shares, queues, hand, limit := any("<none>"), any("<none>"), any("<none>"), any("<none>")
	if l := pl.Spec.Limited; l != nil {
		if l.NominalConcurrencyShares != nil {
			shares = int64(*l.NominalConcurrencyShares)
		}
		if q := l.LimitResponse.Queuing; q != nil {
			queues, hand, limit = int64(q.Queues), int64(q.HandSize), int64(q.QueueLengthLimit)
		}
	}
	return []any{pl.Name, string(pl.Spec.Type), shares, queues, hand, limit, age(pl.CreationTimestamp, now)}
}
