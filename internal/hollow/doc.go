// Package hollow simulates nodes: each hollow node registers a Node,
// renews its Lease and runs the pods bound to it by marking them Running
// and Ready with a pod IP, without any containers. It lets skiff be tried
// without root, and lets the scheduler and controllers be tested and
// benchmarked at thousands of nodes in one process.
//
// What happens to a pod on a node is behind the PodRuntime interface;
// the simulator here is InstantRuntime. The real kubelet over a fake CRI
// runtime is meant to slot in behind the same Fleet.
package hollow
