package flowcontrol

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Kubernetes' flowcontrol v1 defaults.
const (
	defaultMatchingPrecedence       = 1000
	defaultNominalConcurrencyShares = 30
	defaultQueues                   = 64
	defaultHandSize                 = 8
	defaultQueueLengthLimit         = 50
)

func defaultFlowSchema(obj runtime.Object) {
	fs := obj.(*flowcontrolv1.FlowSchema)
	if fs.Spec.MatchingPrecedence == 0 {
		fs.Spec.MatchingPrecedence = defaultMatchingPrecedence
	}
}

// defaultPriorityLevel fills the shares and lendable percent of either
// type and the queuing parameters; borrowingLimitPercent stays unset,
// which means no limit.
func defaultPriorityLevel(obj runtime.Object) {
	spec := &obj.(*flowcontrolv1.PriorityLevelConfiguration).Spec
	if e := spec.Exempt; e != nil {
		setIfNil(&e.NominalConcurrencyShares, 0)
		setIfNil(&e.LendablePercent, 0)
	}
	l := spec.Limited
	if l == nil {
		return
	}
	setIfNil(&l.NominalConcurrencyShares, defaultNominalConcurrencyShares)
	setIfNil(&l.LendablePercent, 0)
	if q := l.LimitResponse.Queuing; q != nil {
		setIfZero(&q.Queues, defaultQueues)
		setIfZero(&q.HandSize, defaultHandSize)
		setIfZero(&q.QueueLengthLimit, defaultQueueLengthLimit)
	}
}

func setIfNil(p **int32, v int32) {
	if *p == nil {
		*p = &v
	}
}

func setIfZero(p *int32, v int32) {
	if *p == 0 {
		*p = v
	}
}
