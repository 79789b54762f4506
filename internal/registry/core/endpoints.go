package core

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

func endpointsStrategy() rest.Simple {
	return rest.Simple{
		Namespaced: true,
		DefaultFn:  defaultEndpoints,
		ValidateFn: typed(validateEndpoints),
	}
}

func defaultEndpoints(obj runtime.Object) {
	for _, ss := range obj.(*corev1.Endpoints).Subsets {
		for i := range ss.Ports {
			if ss.Ports[i].Protocol == "" {
				ss.Ports[i].Protocol = corev1.ProtocolTCP
			}
		}
	}
}

func validateEndpoints(ep *corev1.Endpoints) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("subsets")
	for i, ss := range ep.Subsets {
		ip := p.Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			errs = append(errs, field.Required(ip, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			errs = append(errs, validateEndpointAddress(&ss.Addresses[j], ip.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			errs = append(errs, validateEndpointAddress(&ss.NotReadyAddresses[j], ip.Child("notReadyAddresses").Index(j))...)
		}
		for j := range ss.Ports {
			errs = append(errs, validateEndpointPort(&ss.Ports[j], len(ss.Ports) > 1, ip.Child("ports").Index(j))...)
		}
	}
	return errs
}

// validateEndpointAddress refuses addresses no one else can reach:
// unspecified, loopback and link-local ones.
func validateEndpointAddress(a *corev1.EndpointAddress, p *field.Path) field.ErrorList {
	errs := validation.IsValidIP(p.Child("ip"), a.IP)
	if a.Hostname != "" {
		for _, msg := range content.IsDNS1123Label(a.Hostname) {
			errs = append(errs, field.Invalid(p.Child("hostname"), a.Hostname, msg))
		}
	}
	if a.NodeName != nil {
		for _, msg := range content.IsDNS1123Subdomain(*a.NodeName) {
			errs = append(errs, field.Invalid(p.Child("nodeName"), *a.NodeName, msg))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	ip, _ := netip.ParseAddr(a.IP)
	switch {
	case ip.IsUnspecified():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be unspecified (0.0.0.0)"))
	case ip.IsLoopback():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	case ip.IsLinkLocalUnicast():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	case ip.IsLinkLocalMulticast():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	return errs
}

func validateEndpointPort(port *corev1.EndpointPort, nameRequired bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case port.Name == "" && nameRequired:
		errs = append(errs, field.Required(p.Child("name"), ""))
	case port.Name != "":
		for _, msg := range content.IsDNS1123Label(port.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), port.Name, msg))
		}
	}
	errs = append(errs, rest.PortNumber(port.Port, p.Child("port"))...)
	return append(errs, podspec.ValidateProtocol(port.Protocol, p.Child("protocol"))...)
}
