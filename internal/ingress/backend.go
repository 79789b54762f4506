package ingress

import (
	"net"
	"sort"
	"strconv"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
)

// backend is one Service port resolved to endpoint addresses ("ip:port").
// An empty targets list answers 503.
type backend struct {
	name    string
	targets []string
	next    *atomic.Uint64 // kept across tables so rebuilds keep the rotation
}

// order returns the targets starting at the next round-robin position, so a
// request tries each endpoint at most once. targets must not be empty.
func (b *backend) order() []string {
	n := len(b.targets)
	start := int((b.next.Add(1) - 1) % uint64(n))
	out := make([]string, 0, n)
	out = append(out, b.targets[start:]...)
	return append(out, b.targets[:start]...)
}

// resolver turns Ingress backends into backends, sharing one backend per
// Service port within a table.
type resolver struct {
	services corelisters.ServiceLister
	slices   discoverylisters.EndpointSliceLister
	seen     map[string]*backend
	// counters outlive tables: frequent EndpointSlice updates must not send
	// every first request after a rebuild to the same endpoint.
	counters map[string]*atomic.Uint64
}

// reset starts a new table, dropping the counters the last one did not use.
func (rv *resolver) reset() {
	kept := map[string]*atomic.Uint64{}
	for key, b := range rv.seen {
		kept[key] = b.next
	}
	rv.counters, rv.seen = kept, map[string]*backend{}
}

func (rv *resolver) counter(key string) *atomic.Uint64 {
	c, ok := rv.counters[key]
	if !ok {
		c = new(atomic.Uint64)
	}
	return c
}

// resolve returns nil for backends skiff cannot serve (resource backends).
func (rv *resolver) resolve(ns string, ib *networkingv1.IngressBackend) *backend {
	if ib == nil || ib.Service == nil {
		return nil
	}
	port := ib.Service.Port.Name
	if port == "" {
		port = strconv.Itoa(int(ib.Service.Port.Number))
	}
	key := ns + "/" + ib.Service.Name + ":" + port
	if b, ok := rv.seen[key]; ok {
		return b
	}
	b := &backend{name: key, targets: rv.targets(ns, ib.Service), next: rv.counter(key)}
	rv.seen[key] = b
	return b
}

func (rv *resolver) targets(ns string, sb *networkingv1.IngressServiceBackend) []string {
	svc, err := rv.services.Services(ns).Get(sb.Name)
	if err != nil {
		return nil
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return externalTarget(svc, sb.Port)
	}
	sp, ok := servicePort(svc, sb.Port)
	if !ok {
		return nil
	}
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: sb.Name})
	slices, err := rv.slices.EndpointSlices(ns).List(sel)
	if err != nil {
		return nil
	}
	return endpointTargets(slices, sp.Name)
}

func servicePort(svc *corev1.Service, p networkingv1.ServiceBackendPort) (corev1.ServicePort, bool) {
	for _, sp := range svc.Spec.Ports {
		if (p.Name != "" && sp.Name == p.Name) || (p.Name == "" && sp.Port == p.Number) {
			return sp, sp.Protocol == "" || sp.Protocol == corev1.ProtocolTCP
		}
	}
	return corev1.ServicePort{}, false
}

// externalTarget proxies to an ExternalName Service's DNS name, on the
// backend's port number or, for a port name, the Service port's number.
func externalTarget(svc *corev1.Service, p networkingv1.ServiceBackendPort) []string {
	port := p.Number
	if p.Name != "" {
		sp, ok := servicePort(svc, p)
		if !ok {
			return nil
		}
		port = sp.Port
	}
	return []string{net.JoinHostPort(svc.Spec.ExternalName, strconv.Itoa(int(port)))}
}

// endpointTargets lists the addresses of ready endpoints for the named port,
// or, when none is ready, of those serving while terminating (as kube-proxy
// does), sorted and deduplicated.
func endpointTargets(slices []*discoveryv1.EndpointSlice, portName string) []string {
	var ready, terminating []string
	for _, s := range slices {
		if s.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		port, ok := slicePort(s, portName)
		if !ok {
			continue
		}
		for _, ep := range s.Endpoints {
			c := ep.Conditions
			for _, a := range ep.Addresses {
				t := net.JoinHostPort(a, strconv.Itoa(int(port)))
				switch {
				case c.Ready == nil || *c.Ready:
					ready = append(ready, t)
				case c.Serving != nil && *c.Serving && c.Terminating != nil && *c.Terminating:
					terminating = append(terminating, t)
				}
			}
		}
	}
	if len(ready) == 0 {
		ready = terminating
	}
	return dedupSorted(ready)
}

func slicePort(s *discoveryv1.EndpointSlice, name string) (int32, bool) {
	for _, p := range s.Ports {
		pn := ""
		if p.Name != nil {
			pn = *p.Name
		}
		if pn == name && p.Port != nil && (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) {
			return *p.Port, true
		}
	}
	return 0, false
}

func dedupSorted(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}
