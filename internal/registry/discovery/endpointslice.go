// Package discovery holds the strategies of discovery.k8s.io.
package discovery

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

const (
	maxEndpoints      = 1000
	maxAddresses      = 100
	maxPorts          = 100
	maxTopologyLabels = 16
	maxHints          = 8
)

var (
	addressTypes = []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6, discoveryv1.AddressTypeFQDN}
	protocols    = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
)

// Strategies returns the strategies of discovery.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{"endpointslices": strategy{rest.Simple{
		Namespaced:       true,
		DefaultFn:        defaultSlice,
		ValidateFn:       validateSlice,
		ValidateUpdateFn: validateSliceUpdate,
	}}}
}

// strategy is Simple plus generation: an EndpointSlice has no spec, so
// Kubernetes counts any change outside metadata.
type strategy struct{ rest.Simple }

func (strategy) Generational() bool { return true }

func (strategy) PrepareForUpdate(obj, old runtime.Object) {
	rest.BumpGeneration(obj, old, body)
}

func body(obj runtime.Object) any {
	s := *obj.(*discoveryv1.EndpointSlice)
	s.TypeMeta, s.ObjectMeta = metav1.TypeMeta{}, metav1.ObjectMeta{}
	return s
}

// defaultSlice fills port names and protocols; conditions stay nil, which
// consumers read as ready.
func defaultSlice(obj runtime.Object) {
	s := obj.(*discoveryv1.EndpointSlice)
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Name == nil {
			p.Name = new(string)
		}
		if p.Protocol == nil {
			p.Protocol = new(corev1.ProtocolTCP)
		}
	}
}

func validateSlice(obj runtime.Object) field.ErrorList {
	s := obj.(*discoveryv1.EndpointSlice)
	p := field.NewPath("addressType")
	var errs field.ErrorList
	switch {
	case s.AddressType == "":
		errs = append(errs, field.Required(p, ""))
	case !slices.Contains(addressTypes, s.AddressType):
		errs = append(errs, field.NotSupported(p, s.AddressType, addressTypes))
	}
	errs = append(errs, validateEndpoints(s.Endpoints, s.AddressType, field.NewPath("endpoints"))...)
	return append(errs, validatePorts(s.Ports, field.NewPath("ports"))...)
}

func validateSliceUpdate(obj, old runtime.Object) field.ErrorList {
	return apivalidation.ValidateImmutableField(obj.(*discoveryv1.EndpointSlice).AddressType,
		old.(*discoveryv1.EndpointSlice).AddressType, field.NewPath("addressType"))
}

func validateEndpoints(eps []discoveryv1.Endpoint, t discoveryv1.AddressType, p *field.Path) field.ErrorList {
	if len(eps) > maxEndpoints {
		return field.ErrorList{field.TooMany(p, len(eps), maxEndpoints)}
	}
	var errs field.ErrorList
	for i := range eps {
		errs = append(errs, validateEndpoint(&eps[i], t, p.Index(i))...)
	}
	return errs
}

func validateEndpoint(ep *discoveryv1.Endpoint, t discoveryv1.AddressType, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	ap := p.Child("addresses")
	switch n := len(ep.Addresses); {
	case n == 0:
		errs = append(errs, field.Required(ap, "must contain at least 1 address"))
	case n > maxAddresses:
		errs = append(errs, field.TooMany(ap, n, maxAddresses))
	}
	for i, a := range ep.Addresses {
		errs = append(errs, validateAddress(a, t, ap.Index(i))...)
	}
	if ep.Hostname != nil {
		errs = append(errs, invalid(p.Child("hostname"), *ep.Hostname, utilvalidation.IsDNS1123Label(*ep.Hostname))...)
	}
	if ep.NodeName != nil {
		errs = append(errs, invalid(p.Child("nodeName"), *ep.NodeName, utilvalidation.IsDNS1123Subdomain(*ep.NodeName))...)
	}
	tp := p.Child("deprecatedTopology")
	if len(ep.DeprecatedTopology) > maxTopologyLabels {
		errs = append(errs, field.TooMany(tp, len(ep.DeprecatedTopology), maxTopologyLabels))
	}
	errs = append(errs, metavalidation.ValidateLabels(ep.DeprecatedTopology, tp)...)
	return append(errs, validateHints(ep.Hints, p.Child("hints"))...)
}

// validateAddress checks one address against the slice's type; unknown
// types were reported already.
func validateAddress(a string, t discoveryv1.AddressType, p *field.Path) field.ErrorList {
	switch t {
	case discoveryv1.AddressTypeFQDN:
		return utilvalidation.IsFullyQualifiedDomainName(p, a)
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
		if errs := utilvalidation.IsValidIPForLegacyField(p, a, true, nil); len(errs) > 0 {
			return errs
		}
		ip, _ := netip.ParseAddr(a) // strict validation above rules out errors
		return validateEndpointIP(ip, t, p, a)
	}
	return nil
}

// validateEndpointIP rejects the wrong family and addresses no endpoint
// can serve on, as Kubernetes does.
func validateEndpointIP(ip netip.Addr, t discoveryv1.AddressType, p *field.Path, a string) field.ErrorList {
	switch {
	case ip.Is4() != (t == discoveryv1.AddressTypeIPv4):
		return field.ErrorList{field.Invalid(p, a, "must be an "+string(t)+" address")}
	case ip.IsUnspecified():
		return field.ErrorList{field.Invalid(p, a, "may not be unspecified (0.0.0.0)")}
	case ip.IsLoopback():
		return field.ErrorList{field.Invalid(p, a, "may not be in the loopback range (127.0.0.0/8, ::1/128)")}
	case ip.IsLinkLocalUnicast():
		return field.ErrorList{field.Invalid(p, a, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")}
	case ip.IsLinkLocalMulticast(), ip.IsMulticast():
		return field.ErrorList{field.Invalid(p, a, "may not be in the multicast range (224.0.0.0/4, ff00::/8)")}
	}
	return nil
}

func validateHints(h *discoveryv1.EndpointHints, p *field.Path) field.ErrorList {
	if h == nil {
		return nil
	}
	var errs field.ErrorList
	if n := len(h.ForZones); n > maxHints {
		errs = append(errs, field.TooMany(p.Child("forZones"), n, maxHints))
	}
	if n := len(h.ForNodes); n > maxHints {
		errs = append(errs, field.TooMany(p.Child("forNodes"), n, maxHints))
	}
	return errs
}

func validatePorts(ports []discoveryv1.EndpointPort, p *field.Path) field.ErrorList {
	if len(ports) > maxPorts {
		return field.ErrorList{field.TooMany(p, len(ports), maxPorts)}
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	for i := range ports {
		errs = append(errs, validatePort(&ports[i], p.Index(i), seen)...)
	}
	return errs
}

func validatePort(port *discoveryv1.EndpointPort, p *field.Path, seen map[string]bool) field.ErrorList {
	var errs field.ErrorList
	name := ""
	if port.Name != nil {
		name = *port.Name
	}
	if name != "" {
		errs = append(errs, invalid(p.Child("name"), name, utilvalidation.IsDNS1123Label(name))...)
	}
	if seen[name] {
		errs = append(errs, field.Duplicate(p.Child("name"), name))
	}
	seen[name] = true
	switch {
	case port.Protocol == nil:
		errs = append(errs, field.Required(p.Child("protocol"), ""))
	case !slices.Contains(protocols, *port.Protocol):
		errs = append(errs, field.NotSupported(p.Child("protocol"), *port.Protocol, protocols))
	}
	if port.Port != nil {
		errs = append(errs, invalid(p.Child("port"), *port.Port, utilvalidation.IsInRange(int(*port.Port), 0, 65535))...)
	}
	if port.AppProtocol != nil {
		errs = append(errs, invalid(p.Child("appProtocol"), *port.AppProtocol, utilvalidation.IsQualifiedName(*port.AppProtocol))...)
	}
	return errs
}

func invalid(p *field.Path, v any, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, m := range msgs {
		errs = append(errs, field.Invalid(p, v, m))
	}
	return errs
}
