// Package nodelifecycle watches node heartbeats, as the node part of
// Kubernetes' node lifecycle controller.
//
// A node is healthy while its kubelet keeps renewing its Lease in
// kube-node-lease (or posting node status). When neither changes for
// Options.NodeMonitorGracePeriod, measured on the injected clock from the
// moment the controller saw the last change, the node's Ready,
// MemoryPressure, DiskPressure and PIDPressure conditions become Unknown
// (reason NodeStatusUnknown), and its pods are marked not ready.
//
// The node's taints follow its conditions: Ready=False gives
// node.kubernetes.io/not-ready and Ready=Unknown
// node.kubernetes.io/unreachable, each as NoSchedule and NoExecute;
// pressure conditions, NetworkUnavailable and spec.unschedulable give
// their NoSchedule taints. Taints go when the condition clears. Pods on
// NoExecute-tainted nodes are evicted by the taint eviction controller.
//
// Not done: zone-aware eviction rate limits and the node startup grace
// period (new nodes get the monitor grace period too).
package nodelifecycle
