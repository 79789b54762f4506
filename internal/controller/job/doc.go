// Package job runs Jobs to completion, as Kubernetes' Job controller.
//
// It creates up to spec.parallelism pods from the template, each with the
// batch.kubernetes.io/job-tracking finalizer, and counts finished pods
// safely across restarts the way Kubernetes does: a finished pod's UID is
// first written to status.uncountedTerminatedPods, then its finalizer is
// removed, then it moves into status.succeeded or status.failed. Indexed
// jobs give every pod a completion index (annotation and label
// batch.kubernetes.io/job-completion-index, hostname <job>-<index>,
// JOB_COMPLETION_INDEX) and record status.completedIndexes.
//
// A Job succeeds when spec.completions pods (or indexes) succeeded, or,
// without completions, when one pod succeeded and none is left running.
// It fails when more than spec.backoffLimit pods failed
// (BackoffLimitExceeded), when it runs past spec.activeDeadlineSeconds
// (DeadlineExceeded) or when a pod failure policy rule says FailJob
// (PodFailurePolicy); Ignore rules keep a failure from counting. As in
// modern Kubernetes the decision is first recorded as the
// SuccessCriteriaMet or FailureTarget condition; the remaining pods are
// deleted, and Complete or Failed follows once no pod is left to count.
// Failed pods are replaced after an exponential backoff (10s doubling, at
// most 6 minutes). A suspended Job has its pods deleted and the
// Suspended condition; resuming resets status.startTime.
//
// Not done: backoffLimitPerIndex and FailIndex rules, successPolicy,
// managedBy, and adoption of orphan pods.
package job
