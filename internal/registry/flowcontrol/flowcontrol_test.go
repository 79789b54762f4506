package flowcontrol

import (
	"slices"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	fc "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/flowcontrol/bootstrap"
)

var strats = Strategies()

func TestDefaults(t *testing.T) {
	fs := &fc.FlowSchema{}
	strats["flowschemas"].Default(fs)
	if fs.Spec.MatchingPrecedence != 1000 {
		t.Errorf("matchingPrecedence %d, want 1000", fs.Spec.MatchingPrecedence)
	}
	pl := &fc.PriorityLevelConfiguration{Spec: fc.PriorityLevelConfigurationSpec{
		Type:    fc.PriorityLevelEnablementLimited,
		Limited: &fc.LimitedPriorityLevelConfiguration{LimitResponse: fc.LimitResponse{Type: fc.LimitResponseTypeQueue, Queuing: &fc.QueuingConfiguration{}}},
	}}
	strats["prioritylevelconfigurations"].Default(pl)
	l := pl.Spec.Limited
	q := l.LimitResponse.Queuing
	if *l.NominalConcurrencyShares != 30 || *l.LendablePercent != 0 || l.BorrowingLimitPercent != nil || q.Queues != 64 || q.HandSize != 8 || q.QueueLengthLimit != 50 {
		t.Errorf("limited defaults %+v queuing %+v", l, q)
	}
}

func TestValidateBootstrap(t *testing.T) {
	var objs []runtime.Object
	for _, pl := range append(bootstrap.MandatoryPriorityLevels(), bootstrap.SuggestedPriorityLevels()...) {
		objs = append(objs, pl)
	}
	for _, fs := range append(bootstrap.MandatoryFlowSchemas(), bootstrap.SuggestedFlowSchemas()...) {
		objs = append(objs, fs)
	}
	for _, obj := range objs {
		res := "flowschemas"
		if _, ok := obj.(*fc.PriorityLevelConfiguration); ok {
			res = "prioritylevelconfigurations"
		}
		if errs := strats[res].Validate(obj); len(errs) > 0 {
			t.Errorf("%s: %v", nameOf(obj), errs)
		}
	}
}

func nameOf(obj runtime.Object) string { return obj.(metav1.Object).GetName() }

func TestValidateFlowSchema(t *testing.T) {
	valid := func(mut func(*fc.FlowSchema)) *fc.FlowSchema {
		fs := bootstrap.SuggestedFlowSchemas()[0].DeepCopy()
		mut(fs)
		return fs
	}
	cases := []struct {
		name string
		fs   *fc.FlowSchema
		want []string
	}{
		{"precedence 1", valid(func(fs *fc.FlowSchema) { fs.Spec.MatchingPrecedence = 1 }), []string{"spec.matchingPrecedence"}},
		{"precedence too high", valid(func(fs *fc.FlowSchema) { fs.Spec.MatchingPrecedence = 10001 }), []string{"spec.matchingPrecedence"}},
		{"no level", valid(func(fs *fc.FlowSchema) { fs.Spec.PriorityLevelConfiguration.Name = "" }), []string{"spec.priorityLevelConfiguration.name"}},
		{"bad method", valid(func(fs *fc.FlowSchema) { fs.Spec.DistinguisherMethod.Type = "ByPod" }), []string{"spec.distinguisherMethod.type"}},
		{"no subjects", valid(func(fs *fc.FlowSchema) { fs.Spec.Rules[0].Subjects = nil }), []string{"spec.rules[0].subjects"}},
		{"verb with star", valid(func(fs *fc.FlowSchema) { fs.Spec.Rules[0].ResourceRules[0].Verbs = []string{"*", "get"} }), []string{"spec.rules[0].resourceRules[0].verbs"}},
		{"namespaced without namespaces", valid(func(fs *fc.FlowSchema) {
			fs.Spec.Rules[0].ResourceRules[0].Namespaces, fs.Spec.Rules[0].ResourceRules[0].ClusterScope = nil, false
		}), []string{"spec.rules[0].resourceRules[0].namespaces"}},
		{"relative url", valid(func(fs *fc.FlowSchema) { fs.Spec.Rules[0].NonResourceRules[0].NonResourceURLs = []string{"healthz"} }), []string{"spec.rules[0].nonResourceRules[0].nonResourceURLs[0]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(strats["flowschemas"].Validate(c.fs)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestValidatePriorityLevel(t *testing.T) {
	valid := func(mut func(*fc.PriorityLevelConfiguration)) *fc.PriorityLevelConfiguration {
		pl := bootstrap.SuggestedPriorityLevels()[0].DeepCopy()
		mut(pl)
		return pl
	}
	cases := []struct {
		name string
		pl   *fc.PriorityLevelConfiguration
		want []string
	}{
		{"bad type", valid(func(pl *fc.PriorityLevelConfiguration) { pl.Spec.Type = "Fast" }), []string{"spec.type"}},
		{"negative shares", valid(func(pl *fc.PriorityLevelConfiguration) { *pl.Spec.Limited.NominalConcurrencyShares = -1 }), []string{"spec.limited.nominalConcurrencyShares"}},
		{"lendable over 100", valid(func(pl *fc.PriorityLevelConfiguration) { *pl.Spec.Limited.LendablePercent = 101 }), []string{"spec.limited.lendablePercent"}},
		{"hand over queues", valid(func(pl *fc.PriorityLevelConfiguration) { pl.Spec.Limited.LimitResponse.Queuing.HandSize = 65 }), []string{"spec.limited.limitResponse.queuing.handSize"}},
		{"reject with queuing", valid(func(pl *fc.PriorityLevelConfiguration) {
			pl.Spec.Limited.LimitResponse.Type = fc.LimitResponseTypeReject
		}), []string{"spec.limited.limitResponse.queuing"}},
		{"exempt made limited", valid(func(pl *fc.PriorityLevelConfiguration) { pl.Name = "exempt" }), []string{"spec"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(strats["prioritylevelconfigurations"].Validate(c.pl)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}
