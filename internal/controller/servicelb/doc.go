// Package servicelb gives Services of type LoadBalancer an external
// address, as the cloud-controller-manager's service controller does with
// a local provider (like k3s's ServiceLB).
//
// With an address pool (Options.LoadBalancerIPPool) each Service gets one
// IPv4 address of the pool; allocations live only in Service statuses and
// are rebuilt from them at start. Without a pool the Service's ingress is
// the InternalIP of every Ready, schedulable node: the node proxies serve
// the Service's ports there.
//
// Services with a spec.loadBalancerClass other than Class are left to
// their own controller.
package servicelb
