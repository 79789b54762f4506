// Package dns is the cluster DNS every skiff node agent serves on a
// node-local address. It answers names under the cluster domain from
// Service and EndpointSlice informers, following the Kubernetes DNS
// specification (kubernetes/dns docs/specification.md) the way CoreDNS's
// kubernetes plugin does, and forwards every other name to upstream
// resolvers through a small TTL-respecting cache.
//
// It also computes pod resolv.conf contents for the kubelet
// (PodResolvConf), as the Kubernetes kubelet does.
package dns
