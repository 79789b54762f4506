package printers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	fc "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestFlowSchema(t *testing.T) {
	fs := &fc.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: "mine"}, Spec: fc.FlowSchemaSpec{
		PriorityLevelConfiguration: fc.PriorityLevelConfigurationReference{Name: "low"}, MatchingPrecedence: 500,
	}}
	if diff := cmp.Diff([]any{"mine", "low", int64(500), "<none>", "<unknown>", "?"}, cells(t, fs)); diff != "" {
		t.Errorf("no method, no condition (-want +got):\n%s", diff)
	}
	fs.Spec.DistinguisherMethod = &fc.FlowDistinguisherMethod{Type: fc.FlowDistinguisherMethodByUserType}
	fs.Status.Conditions = []fc.FlowSchemaCondition{{Type: fc.FlowSchemaConditionDangling, Status: fc.ConditionTrue}}
	if diff := cmp.Diff([]any{"mine", "low", int64(500), "ByUser", "<unknown>", "True"}, cells(t, fs)); diff != "" {
		t.Errorf("dangling (-want +got):\n%s", diff)
	}
}

func TestPriorityLevelConfiguration(t *testing.T) {
	shares := int32(20)
	pl := &fc.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "low"}, Spec: fc.PriorityLevelConfigurationSpec{
		Type: fc.PriorityLevelEnablementLimited,
		Limited: &fc.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: &shares, LimitResponse: fc.LimitResponse{
			Type: fc.LimitResponseTypeQueue, Queuing: &fc.QueuingConfiguration{Queues: 128, HandSize: 6, QueueLengthLimit: 50},
		}},
	}}
	if diff := cmp.Diff([]any{"low", "Limited", int64(20), int64(128), int64(6), int64(50), "<unknown>"}, cells(t, pl)); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
	exempt := &fc.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "exempt"}, Spec: fc.PriorityLevelConfigurationSpec{Type: fc.PriorityLevelEnablementExempt}}
	if diff := cmp.Diff([]any{"exempt", "Exempt", "<none>", "<none>", "<none>", "<none>", "<unknown>"}, cells(t, exempt)); diff != "" {
		t.Errorf("exempt (-want +got):\n%s", diff)
	}
}
