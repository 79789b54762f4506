// Package podutil holds what the workload controllers share about pods
// and controller references: readiness and availability, the order in
// which a controller deletes surplus pods (Kubernetes' ActivePods), pods
// built from a template, and adoption and release of objects by a
// controller through ownerReferences.
package podutil
