// Package resourcequota keeps the status of ResourceQuotas, as Kubernetes'
// resourcequota controller does: status.hard mirrors spec.hard and
// status.used holds the namespace's usage of each resource named there.
//
// Counted: pods (non-terminal), services, configmaps, secrets,
// persistentvolumeclaims, replicationcontrollers and resourcequotas, each
// also as count/<resource>; services.nodeports and services.loadbalancers;
// requests.storage of claims; and requests.cpu, requests.memory,
// limits.cpu, limits.memory (cpu and memory meaning requests.*) summed over
// non-terminal pods the way Kubernetes sums a pod (init containers, sidecars
// and overhead included). A pod is terminal when Succeeded, Failed, or
// past its deletion grace period. Other resources are left out of used.
//
// Usage is recomputed when a quota or a counted object changes and every
// 30 seconds. A quota with scopes (spec.scopes, spec.scopeSelector)
// counts only the pods matching all of them: Terminating, NotTerminating,
// BestEffort, NotBestEffort, PriorityClass (In, NotIn, Exists,
// DoesNotExist) and CrossNamespacePodAffinity.
package resourcequota
