// Package deployment rolls Deployments out through ReplicaSets, as
// Kubernetes' deployment controller: one ReplicaSet per pod template,
// named <deployment>-<pod-template-hash>; RollingUpdate within maxSurge
// and maxUnavailable, or Recreate; proportional scaling of a rollout in
// flight; pause and resume; cleanup beyond revisionHistoryLimit; the
// revision annotations kubectl rollout history and undo read; the
// Available and Progressing conditions with the progress deadline.
//
// skiff adds opt-in automatic rollback: a Deployment annotated
// skiff.dev/auto-rollback: "true" whose rollout exceeds its progress
// deadline gets the template of the newest revision that was ever fully
// available (its ReplicaSet carries skiff.dev/available: "true"), at most
// once per failed revision.
package deployment
