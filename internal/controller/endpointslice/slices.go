package endpointslice

import (
	"maps"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/podendpoint"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

var serviceKind = corev1.SchemeGroupVersion.WithKind("Service")

// desiredSlices computes the slices svc should have for its endpoints;
// zone names a node's zone. With no endpoints there is one empty slice,
// as Kubernetes keeps a placeholder.
func desiredSlices(svc *corev1.Service, eps []podendpoint.Endpoint, zone func(node string) string, max int) []*discoveryv1.EndpointSlice {
	type group struct {
		addr  discoveryv1.AddressType
		ports []discoveryv1.EndpointPort
		eps   []podendpoint.Endpoint
	}
	groups := map[string]*group{}
	for _, fam := range families(svc) {
		for _, e := range eps {
			if e.IsIPv6() != (fam == discoveryv1.AddressTypeIPv6) {
				continue
			}
			key := string(fam) + "|" + podendpoint.PortsKey(e.Ports)
			g := groups[key]
			if g == nil {
				g = &group{addr: fam, ports: e.Ports}
				groups[key] = g
			}
			g.eps = append(g.eps, e)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*discoveryv1.EndpointSlice
	for _, k := range keys {
		g := groups[k]
		podendpoint.Sort(g.eps)
		for start := 0; start < len(g.eps); start += max {
			chunk := g.eps[start:min(start+max, len(g.eps))]
			out = append(out, newSlice(svc, g.addr, g.ports, chunk, zone))
		}
	}
	if len(out) == 0 {
		out = append(out, newSlice(svc, families(svc)[0], nil, nil, zone))
	}
	return out
}

func families(svc *corev1.Service) []discoveryv1.AddressType {
	var out []discoveryv1.AddressType
	for _, f := range svc.Spec.IPFamilies {
		if f == corev1.IPv6Protocol {
			out = append(out, discoveryv1.AddressTypeIPv6)
		} else {
			out = append(out, discoveryv1.AddressTypeIPv4)
		}
	}
	if len(out) == 0 {
		out = []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4}
	}
	return out
}

func newSlice(svc *corev1.Service, addr discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps []podendpoint.Endpoint, zone func(string) string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    svc.Name + "-",
			Namespace:       svc.Namespace,
			Labels:          sliceLabels(svc),
			OwnerReferences: []metav1.OwnerReference{*podutil.NewControllerRef(svc, serviceKind)},
		},
		AddressType: addr,
		Ports:       ports,
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, toEndpoint(e, zone))
	}
	return s
}

func toEndpoint(e podendpoint.Endpoint, zone func(string) string) discoveryv1.Endpoint {
	out := discoveryv1.Endpoint{
		Addresses: []string{e.IP},
		Conditions: discoveryv1.EndpointConditions{
			Ready: new(e.Ready), Serving: new(e.Serving), Terminating: new(e.Terminating),
		},
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: e.Pod.Namespace, Name: e.Pod.Name, UID: e.Pod.UID},
	}
	if e.Hostname != "" {
		out.Hostname = new(e.Hostname)
	}
	if n := e.Pod.Spec.NodeName; n != "" {
		out.NodeName = new(n)
		if z := zone(n); z != "" {
			out.Zone = new(z)
		}
	}
	return out
}

// sliceLabels are the Service's labels plus the ones that tie a slice to
// it and to this controller.
func sliceLabels(svc *corev1.Service) map[string]string {
	l := maps.Clone(svc.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[discoveryv1.LabelServiceName] = svc.Name
	l[discoveryv1.LabelManagedBy] = ManagedBy
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		l[labelHeadless] = ""
	} else {
		delete(l, labelHeadless)
	}
	return l
}

// sameContent reports whether an existing slice already says what want
// does.
func sameContent(have, want *discoveryv1.EndpointSlice) bool {
	return have.AddressType == want.AddressType &&
		apiequality.Semantic.DeepEqual(have.Labels, want.Labels) &&
		apiequality.Semantic.DeepEqual(have.OwnerReferences, want.OwnerReferences) &&
		podendpoint.PortsKey(have.Ports) == podendpoint.PortsKey(want.Ports) &&
		apiequality.Semantic.DeepEqual(have.Endpoints, want.Endpoints)
}

// plan pairs desired slices with existing ones: identical ones stay,
// others with the same address type and ports are updated, the rest
// created; existing slices left over are deleted.
func plan(have, want []*discoveryv1.EndpointSlice) (update, create, del []*discoveryv1.EndpointSlice) {
	used := make([]bool, len(have))
	pending := make([]*discoveryv1.EndpointSlice, 0, len(want))
	for _, w := range want {
		if i := find(have, used, func(h *discoveryv1.EndpointSlice) bool { return sameContent(h, w) }); i >= 0 {
			used[i] = true
			continue
		}
		pending = append(pending, w)
	}
	for _, w := range pending {
		i := find(have, used, func(h *discoveryv1.EndpointSlice) bool {
			return h.AddressType == w.AddressType && podendpoint.PortsKey(h.Ports) == podendpoint.PortsKey(w.Ports)
		})
		if i < 0 {
			i = find(have, used, func(h *discoveryv1.EndpointSlice) bool { return h.AddressType == w.AddressType })
		}
		if i < 0 {
			create = append(create, w)
			continue
		}
		used[i] = true
		u := have[i].DeepCopy()
		u.Labels, u.OwnerReferences, u.Ports, u.Endpoints = w.Labels, w.OwnerReferences, w.Ports, w.Endpoints
		update = append(update, u)
	}
	for i, h := range have {
		if !used[i] {
			del = append(del, h)
		}
	}
	return update, create, del
}

func find(have []*discoveryv1.EndpointSlice, used []bool, match func(*discoveryv1.EndpointSlice) bool) int {
	for i, h := range have {
		if !used[i] && match(h) {
			return i
		}
	}
	return -1
}
