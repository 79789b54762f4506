// Package ingress is skiff's built-in Ingress controller. Every node agent
// runs a Router that serves the Ingresses of class "skiff" on the node's
// ports 80 and 443, proxying straight to ready endpoints taken from
// EndpointSlices rather than through Service ClusterIPs.
//
// The routing table is immutable and rebuilt from informer caches after a
// short debounce; a rebuild swaps one atomic pointer, so requests and
// connections in flight keep the table they started with.
package ingress
