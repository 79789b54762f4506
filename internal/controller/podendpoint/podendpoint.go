// Package podendpoint turns pods into endpoints of a Service: which pods
// count, their conditions, hostname and resolved ports. The EndpointSlice
// and Endpoints controllers share it, and the service lookup their pod
// handlers do.
package podendpoint

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// Endpoint is one pod as an endpoint of one Service.
type Endpoint struct {
	Pod      *corev1.Pod
	IP       string
	Hostname string
	// Ready: serving and not terminating (always, with
	// publishNotReadyAddresses); Serving: the pod is ready.
	Ready, Serving, Terminating bool
	// Ports are the Service's ports resolved for this pod, in Service
	// order; a named targetPort the pod lacks leaves its port out.
	Ports []discoveryv1.EndpointPort
}

// Managed reports whether a Service gets endpoints from its selector:
// it has one, is not ExternalName, and is not default/kubernetes (the
// API server keeps that one).
func Managed(svc *corev1.Service) bool {
	return len(svc.Spec.Selector) > 0 && svc.Spec.Type != corev1.ServiceTypeExternalName &&
		!(svc.Namespace == "default" && svc.Name == "kubernetes")
}

// For converts pod to an endpoint of svc; false means the pod is not
// one: it has no IP, has finished, or is terminating and
// includeTerminating is off.
func For(svc *corev1.Service, pod *corev1.Pod, includeTerminating bool) (Endpoint, bool) {
	if pod.Status.PodIP == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return Endpoint{}, false
	}
	terminating := pod.DeletionTimestamp != nil
	if terminating && !includeTerminating {
		return Endpoint{}, false
	}
	serving := podutil.IsPodReady(pod) || svc.Spec.PublishNotReadyAddresses
	e := Endpoint{
		Pod: pod, IP: pod.Status.PodIP,
		Ready:       serving && (!terminating || svc.Spec.PublishNotReadyAddresses),
		Serving:     serving,
		Terminating: terminating,
		Ports:       Ports(svc, pod),
	}
	if pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name {
		e.Hostname = pod.Spec.Hostname
	}
	return e, true
}

// IsIPv6 reports whether the endpoint's address is IPv6.
func (e Endpoint) IsIPv6() bool {
	a, err := netip.ParseAddr(e.IP)
	return err == nil && a.Is6() && !a.Is4In6()
}

// Ports resolves the Service's ports for pod: a number is itself, a name
// is the pod's container port of that name and protocol.
func Ports(svc *corev1.Service, pod *corev1.Pod) []discoveryv1.EndpointPort {
	var out []discoveryv1.EndpointPort
	for _, sp := range svc.Spec.Ports {
		n, ok := findPort(pod, sp)
		if !ok {
			continue
		}
		out = append(out, discoveryv1.EndpointPort{
			Name: new(sp.Name), Protocol: new(sp.Protocol), Port: new(n), AppProtocol: sp.AppProtocol,
		})
	}
	return out
}

func findPort(pod *corev1.Pod, sp corev1.ServicePort) (int32, bool) {
	tp := sp.TargetPort
	if tp.StrVal == "" && tp.IntVal == 0 {
		return sp.Port, true
	}
	if tp.StrVal == "" {
		return tp.IntVal, true
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == tp.StrVal && p.Protocol == sp.Protocol {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// PortsKey identifies a set of resolved ports: endpoints with the same
// key share a slice or subset.
func PortsKey(ps []discoveryv1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s/%s/%d;", deref(p.Name), deref(p.Protocol), deref(p.Port))
	}
	return b.String()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Sort orders endpoints by IP, then pod name, for stable output.
func Sort(es []Endpoint) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].IP != es[j].IP {
			return es[i].IP < es[j].IP
		}
		return es[i].Pod.Name < es[j].Pod.Name
	})
}

// ServicesFor returns the keys of the managed Services in pod's
// namespace whose selectors match pod.
func ServicesFor(lister corelisters.ServiceLister, pod *corev1.Pod) []string {
	svcs, err := lister.Services(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var keys []string
	for _, s := range svcs {
		if Managed(s) && labels.SelectorFromValidatedSet(s.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			keys = append(keys, s.Namespace+"/"+s.Name)
		}
	}
	return keys
}
