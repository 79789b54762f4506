// Package endpoints keeps the core Endpoints object of every Service with
// a selector, as Kubernetes' endpoints controller: one subset per set of
// resolved ports with ready addresses and notReadyAddresses; terminating
// pods only with publishNotReadyAddresses. It shares the pod conversion
// with the EndpointSlice controller (package podendpoint).
package endpoints
