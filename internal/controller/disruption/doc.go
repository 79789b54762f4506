// Package disruption keeps the status of PodDisruptionBudgets, as
// Kubernetes' disruption controller does.
//
// For each budget it counts the pods its selector matches (a nil selector
// matches none, an empty one all) and writes:
//
//   - currentHealthy: matching pods that are Ready, not being deleted and
//     not in status.disruptedPods (entries older than two minutes are
//     dropped, as the eviction API's are);
//   - expectedPods and desiredHealthy: with an integer minAvailable,
//     desiredHealthy is that number and expectedPods the number of
//     matching pods. With a percentage minAvailable, or any maxUnavailable,
//     expectedPods is the scale of the pods' controllers as Kubernetes
//     computes it: spec.replicas of each distinct owning ReplicationController,
//     ReplicaSet (or the Deployment owning it) and StatefulSet. Unlike
//     Kubernetes, which ignores pods without a controller and reads the
//     scale subresource of other kinds, a pod without a controller or with
//     one of another (or an unknown) kind counts as one expected pod, so a
//     budget over a plain selector scales from the matching pods' count.
//     Percentages round up;
//   - disruptionsAllowed: currentHealthy - desiredHealthy, never below
//     zero, and zero when no pods are expected;
//   - observedGeneration and the DisruptionAllowed condition (True with
//     reason SufficientPods, False with InsufficientPods).
package disruption
