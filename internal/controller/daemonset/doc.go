// Package daemonset runs one pod of each DaemonSet on every node that
// should run it, as Kubernetes' DaemonSet controller.
//
// A node should run the pod when the template's nodeSelector and required
// node affinity match it and the pod tolerates its NoSchedule and
// NoExecute taints; the pod keeps running while it tolerates the
// NoExecute ones. Pods get the DaemonSet tolerations Kubernetes adds
// (not-ready and unreachable NoExecute; disk-, memory-, pid-pressure and
// unschedulable NoSchedule; network-unavailable for hostNetwork pods) and
// a required node affinity on metadata.name=<node>, so the scheduler
// binds them to that node. Failed pods are deleted and replaced, surplus
// pods on a node deleted oldest-last, pods on nodes that no longer qualify
// deleted.
//
// Every template is stored as a ControllerRevision; pods carry its
// controller-revision-hash. RollingUpdate replaces old pods within
// maxUnavailable, or with maxSurge starts the new pod beside the old one
// and deletes the old one once the new one is available; OnDelete leaves
// old pods alone. The status counts scheduled, misscheduled, ready,
// available and updated nodes.
//
// Not done: failed-pod backoff, node resource checks (the scheduler's).
package daemonset
