// Package proxy is skiff's service proxy: kube-proxy's nftables mode
// re-implemented. Every node agent runs one Proxier, which watches
// Services and EndpointSlices and programs one nftables table (family
// ip) so that ClusterIPs, NodePorts, externalIPs and LoadBalancer
// ingress IPs are DNATed to their endpoints, with random balancing,
// ClientIP session affinity, internal/external traffic policy Local,
// masquerading and rejection of services without endpoints.
//
// The table has the shape kube-proxy uses: verdict maps keyed by
// "address . protocol . port" jump to one chain per service port, which
// jumps to one chain per endpoint. A change to one Service or
// EndpointSlice rewrites only that service's chains and map elements;
// the whole table is rebuilt at start and every SyncPeriod.
package proxy
