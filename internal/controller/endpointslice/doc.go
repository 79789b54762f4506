// Package endpointslice keeps the EndpointSlices of every Service with a
// selector, as Kubernetes' EndpointSlice controller: one slice per
// address type and set of resolved ports, at most MaxEndpointsPerSlice
// endpoints each, with ready/serving/terminating conditions, hostname,
// node and zone, owned by the Service and labelled with its name and
// endpointslice.kubernetes.io/managed-by. Slices are written only when
// they change.
package endpointslice
