// Package bootstrap holds the configuration of API priority and fairness
// that Kubernetes v1.32's API server keeps in every cluster: the mandatory
// objects (exempt and catch-all), always restored, and the suggested ones,
// created when missing and kept current while their
// apf.kubernetes.io/autoupdate-spec annotation is "true".
package bootstrap

import (
	fc "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Subjects Kubernetes' configuration names.
const (
	groupMasters         = "system:masters"
	groupAuthenticated   = "system:authenticated"
	groupUnauthenticated = "system:unauthenticated"
	groupNodes           = "system:nodes"
	groupServiceAccounts = "system:serviceaccounts"
	userControllerMgr    = "system:kube-controller-manager"
	userScheduler        = "system:kube-scheduler"
)

// MandatoryPriorityLevels are restored whenever they differ or are missing.
func MandatoryPriorityLevels() []*fc.PriorityLevelConfiguration {
	return []*fc.PriorityLevelConfiguration{
		level(fc.PriorityLevelConfigurationNameExempt, fc.PriorityLevelConfigurationSpec{
			Type:   fc.PriorityLevelEnablementExempt,
			Exempt: &fc.ExemptPriorityLevelConfiguration{NominalConcurrencyShares: new(int32(0)), LendablePercent: new(int32(0))},
		}),
		level(fc.PriorityLevelConfigurationNameCatchAll, fc.PriorityLevelConfigurationSpec{
			Type: fc.PriorityLevelEnablementLimited,
			Limited: &fc.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: new(int32(5)), LendablePercent: new(int32(0)),
				LimitResponse: fc.LimitResponse{Type: fc.LimitResponseTypeReject},
			},
		}),
	}
}

// SuggestedPriorityLevels are created when missing.
func SuggestedPriorityLevels() []*fc.PriorityLevelConfiguration {
	return []*fc.PriorityLevelConfiguration{
		queued("system", 30, 33, 64, 6),
		queued("node-high", 40, 25, 64, 6),
		queued("leader-election", 10, 0, 16, 4),
		queued("workload-high", 40, 50, 128, 6),
		queued("workload-low", 100, 90, 128, 6),
		queued("global-default", 20, 50, 128, 6),
	}
}

// MandatoryFlowSchemas are restored whenever they differ or are missing.
func MandatoryFlowSchemas() []*fc.FlowSchema {
	return []*fc.FlowSchema{
		schema("exempt", "exempt", 1, "", everything(groups(groupMasters))),
		schema(fc.FlowSchemaNameCatchAll, fc.PriorityLevelConfigurationNameCatchAll, 10000, fc.FlowDistinguisherMethodByUserType,
			everything(groups(groupUnauthenticated, groupAuthenticated))),
	}
}

// SuggestedFlowSchemas are created when missing.
func SuggestedFlowSchemas() []*fc.FlowSchema {
	electionVerbs := []string{"get", "create", "update"}
	leases := resources(electionVerbs, "coordination.k8s.io", []string{"leases"}, fc.NamespaceEvery)
	return []*fc.FlowSchema{
		schema("system-nodes", "system", 500, fc.FlowDistinguisherMethodByUserType, everything(groups(groupNodes))),
		schema("system-node-high", "node-high", 400, fc.FlowDistinguisherMethodByUserType, fc.PolicyRulesWithSubjects{
			Subjects: groups(groupNodes),
			ResourceRules: []fc.ResourcePolicyRule{
				clusterScoped(resources([]string{fc.VerbAll}, "", []string{"nodes", "nodes/status"}, fc.NamespaceEvery)),
				resources([]string{fc.VerbAll}, "coordination.k8s.io", []string{"leases"}, fc.NamespaceEvery),
			},
		}),
		schema("probes", "exempt", 2, "", fc.PolicyRulesWithSubjects{
			Subjects:         groups(groupUnauthenticated, groupAuthenticated),
			NonResourceRules: []fc.NonResourcePolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/readyz", "/livez"}}},
		}),
		schema("system-leader-election", "leader-election", 100, fc.FlowDistinguisherMethodByUserType, fc.PolicyRulesWithSubjects{
			Subjects: append(users(userControllerMgr, userScheduler), kubeSystemServiceAccounts(fc.NameAll)...),
			ResourceRules: []fc.ResourcePolicyRule{
				resources(electionVerbs, "", []string{"endpoints", "configmaps"}, metav1.NamespaceSystem), leases,
			},
		}),
		schema("workload-leader-election", "leader-election", 200, fc.FlowDistinguisherMethodByUserType, fc.PolicyRulesWithSubjects{
			Subjects: kubeSystemServiceAccounts(fc.NameAll),
			ResourceRules: []fc.ResourcePolicyRule{
				resources(electionVerbs, "", []string{"endpoints", "configmaps"}, fc.NamespaceEvery), leases,
			},
		}),
		schema("endpoint-controller", "workload-high", 150, fc.FlowDistinguisherMethodByUserType, fc.PolicyRulesWithSubjects{
			Subjects:      append(users(userControllerMgr), kubeSystemServiceAccounts("endpoint-controller", "endpointslicemirroring-controller")...),
			ResourceRules: []fc.ResourcePolicyRule{resources(electionVerbs, "", []string{"endpoints"}, fc.NamespaceEvery)},
		}),
		schema("kube-controller-manager", "workload-high", 800, fc.FlowDistinguisherMethodByNamespaceType, everything(users(userControllerMgr))),
		schema("kube-scheduler", "workload-high", 800, fc.FlowDistinguisherMethodByNamespaceType, everything(users(userScheduler))),
		schema("kube-system-service-accounts", "workload-high", 900, fc.FlowDistinguisherMethodByNamespaceType, everything(kubeSystemServiceAccounts(fc.NameAll))),
		schema("service-accounts", "workload-low", 9000, fc.FlowDistinguisherMethodByUserType, everything(groups(groupServiceAccounts))),
		schema("global-default", "global-default", 9900, fc.FlowDistinguisherMethodByUserType, everything(groups(groupUnauthenticated, groupAuthenticated))),
	}
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Annotations: map[string]string{fc.AutoUpdateAnnotationKey: "true"}}
}

func level(name string, spec fc.PriorityLevelConfigurationSpec) *fc.PriorityLevelConfiguration {
	return &fc.PriorityLevelConfiguration{ObjectMeta: meta(name), Spec: spec}
}

// queued is a Limited level that queues.
func queued(name string, shares, lendable, queues, handSize int32) *fc.PriorityLevelConfiguration {
	return level(name, fc.PriorityLevelConfigurationSpec{
		Type: fc.PriorityLevelEnablementLimited,
		Limited: &fc.LimitedPriorityLevelConfiguration{
			NominalConcurrencyShares: &shares, LendablePercent: &lendable,
			LimitResponse: fc.LimitResponse{
				Type:    fc.LimitResponseTypeQueue,
				Queuing: &fc.QueuingConfiguration{Queues: queues, HandSize: handSize, QueueLengthLimit: 50},
			},
		},
	})
}

func schema(name, level string, precedence int32, dm fc.FlowDistinguisherMethodType, rules fc.PolicyRulesWithSubjects) *fc.FlowSchema {
	fs := &fc.FlowSchema{ObjectMeta: meta(name), Spec: fc.FlowSchemaSpec{
		PriorityLevelConfiguration: fc.PriorityLevelConfigurationReference{Name: level},
		MatchingPrecedence:         precedence,
		Rules:                      []fc.PolicyRulesWithSubjects{rules},
	}}
	if dm != "" {
		fs.Spec.DistinguisherMethod = &fc.FlowDistinguisherMethod{Type: dm}
	}
	return fs
}

// everything matches every request of subjects.
func everything(subjects []fc.Subject) fc.PolicyRulesWithSubjects {
	return fc.PolicyRulesWithSubjects{
		Subjects:         subjects,
		ResourceRules:    []fc.ResourcePolicyRule{clusterScoped(resources([]string{fc.VerbAll}, fc.APIGroupAll, []string{fc.ResourceAll}, fc.NamespaceEvery))},
		NonResourceRules: []fc.NonResourcePolicyRule{{Verbs: []string{fc.VerbAll}, NonResourceURLs: []string{fc.NonResourceAll}}},
	}
}

func resources(verbs []string, group string, res []string, ns string) fc.ResourcePolicyRule {
	return fc.ResourcePolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: res, Namespaces: []string{ns}}
}

func clusterScoped(r fc.ResourcePolicyRule) fc.ResourcePolicyRule { r.ClusterScope = true; return r }

func groups(names ...string) []fc.Subject {
	out := make([]fc.Subject, len(names))
	for i, n := range names {
		out[i] = fc.Subject{Kind: fc.SubjectKindGroup, Group: &fc.GroupSubject{Name: n}}
	}
	return out
}

func users(names ...string) []fc.Subject {
	out := make([]fc.Subject, len(names))
	for i, n := range names {
		out[i] = fc.Subject{Kind: fc.SubjectKindUser, User: &fc.UserSubject{Name: n}}
	}
	return out
}

func kubeSystemServiceAccounts(names ...string) []fc.Subject {
	out := make([]fc.Subject, len(names))
	for i, n := range names {
		out[i] = fc.Subject{Kind: fc.SubjectKindServiceAccount, ServiceAccount: &fc.ServiceAccountSubject{Namespace: metav1.NamespaceSystem, Name: n}}
	}
	return out
}
