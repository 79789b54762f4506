// Package nodeipam gives every Node a pod CIDR (spec.podCIDR and
// spec.podCIDRs) cut from the cluster CIDR, as Kubernetes' node IPAM
// controller with its range allocator: subnets of Options.NodeCIDRMaskSize
// bits, handed out next-fit, released when the node is deleted. At start
// it marks the CIDRs that existing nodes hold, so a restart never hands one
// out twice. When the range is exhausted it records a CIDRNotAvailable
// event on the node and retries.
package nodeipam
