// Package tainteviction deletes pods from nodes with NoExecute taints they
// do not tolerate, as Kubernetes' taint eviction controller: a pod that
// does not tolerate one of the node's NoExecute taints goes at once; a pod
// that tolerates them all goes once the smallest tolerationSeconds of the
// tolerations it uses has passed since the newest taint was added (never,
// when none is bounded). Before the deletion the pod gets the
// DisruptionTarget condition (reason DeletionByTaintManager) and a
// TaintManagerEviction event. The queue holds node names; the clock is
// injected.
package tainteviction
