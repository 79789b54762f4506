// Package hollow runs simulated nodes in one process: each hollow node
// is the real kubelet (internal/kubelet) over the in-memory fake CRI
// runtime (internal/cri/fake), so it registers its Node, renews its
// Lease and runs the pods bound to it through the kubelet's own sync,
// status and deletion code, without containers. It lets skiff be tried
// without root, and lets the scheduler and controllers be tested and
// benchmarked at thousands of nodes in one process; the kubelets share
// one pod informer and one event broadcaster to stay cheap.
package hollow
