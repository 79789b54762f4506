package networking

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	protocols   = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	policyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	selectorOpt = metavalidation.LabelSelectorValidationOptions{}
)

// defaultNetworkPolicy makes a policy without policyTypes govern ingress,
// and egress too when it has egress rules; ports default to TCP.
func defaultNetworkPolicy(obj runtime.Object) {
	spec := &obj.(*networkingv1.NetworkPolicy).Spec
	if len(spec.PolicyTypes) == 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) > 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	for i := range spec.Ingress {
		defaultPorts(spec.Ingress[i].Ports)
	}
	for i := range spec.Egress {
		defaultPorts(spec.Egress[i].Ports)
	}
}

func defaultPorts(ports []networkingv1.NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			ports[i].Protocol = new(corev1.ProtocolTCP)
		}
	}
}

func validateNetworkPolicy(obj runtime.Object) field.ErrorList {
	spec := &obj.(*networkingv1.NetworkPolicy).Spec
	p := field.NewPath("spec")
	errs := metavalidation.ValidateLabelSelector(&spec.PodSelector, selectorOpt, p.Child("podSelector"))
	for i, r := range spec.Ingress {
		errs = append(errs, validatePolicyRule(r.Ports, r.From, p.Child("ingress").Index(i), "from")...)
	}
	for i, r := range spec.Egress {
		errs = append(errs, validatePolicyRule(r.Ports, r.To, p.Child("egress").Index(i), "to")...)
	}
	return append(errs, validatePolicyTypes(spec.PolicyTypes, p.Child("policyTypes"))...)
}

func validatePolicyTypes(types []networkingv1.PolicyType, p *field.Path) field.ErrorList {
	if len(types) > len(policyTypes) {
		return field.ErrorList{field.Invalid(p, types, "may not specify more than two policyTypes")}
	}
	var errs field.ErrorList
	for i, t := range types {
		if !slices.Contains(policyTypes, t) {
			errs = append(errs, field.NotSupported(p.Index(i), t, policyTypes))
		}
	}
	return errs
}

// validatePolicyRule checks one ingress or egress rule; peers is "from" or "to".
func validatePolicyRule(ports []networkingv1.NetworkPolicyPort, peerList []networkingv1.NetworkPolicyPeer, p *field.Path, peers string) field.ErrorList {
	var errs field.ErrorList
	for i := range ports {
		errs = append(errs, validatePort(&ports[i], p.Child("ports").Index(i))...)
	}
	for i := range peerList {
		errs = append(errs, validatePeer(&peerList[i], p.Child(peers).Index(i))...)
	}
	return errs
}

func validatePort(port *networkingv1.NetworkPolicyPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if port.Protocol != nil && !slices.Contains(protocols, *port.Protocol) {
		errs = append(errs, field.NotSupported(p.Child("protocol"), *port.Protocol, protocols))
	}
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.String:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		errs = append(errs, invalid(p.Child("port"), port.Port.StrVal, utilvalidation.IsValidPortName(port.Port.StrVal))...)
	default:
		errs = append(errs, validatePortRange(port.Port.IntVal, port.EndPort, p)...)
	}
	return errs
}

func validatePortRange(port int32, end *int32, p *field.Path) field.ErrorList {
	errs := invalid(p.Child("port"), port, utilvalidation.IsValidPortNum(int(port)))
	if end == nil {
		return errs
	}
	if *end < port {
		errs = append(errs, field.Invalid(p.Child("endPort"), *end, "must be greater than or equal to `port`"))
	}
	return append(errs, invalid(p.Child("endPort"), *end, utilvalidation.IsValidPortNum(int(*end)))...)
}

// validatePeer wants at least one selector or an ipBlock, and an ipBlock
// alone.
func validatePeer(peer *networkingv1.NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	if peer.PodSelector != nil {
		n++
		errs = append(errs, metavalidation.ValidateLabelSelector(peer.PodSelector, selectorOpt, p.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		errs = append(errs, metavalidation.ValidateLabelSelector(peer.NamespaceSelector, selectorOpt, p.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		n++
		errs = append(errs, validateIPBlock(peer.IPBlock, p.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(p, "must specify a peer"))
	case n > 1 && peer.IPBlock != nil:
		errs = append(errs, field.Forbidden(p, "may not specify both ipBlock and another peer"))
	}
	return errs
}

// validateIPBlock requires each except to be a strict subset of the cidr.
func validateIPBlock(b *networkingv1.IPBlock, p *field.Path) field.ErrorList {
	cp := p.Child("cidr")
	if b.CIDR == "" {
		return field.ErrorList{field.Required(cp, "")}
	}
	errs := utilvalidation.IsValidCIDRForLegacyField(cp, b.CIDR, true, nil)
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return errs
	}
	for i, ex := range b.Except {
		ep := p.Child("except").Index(i)
		exErrs := utilvalidation.IsValidCIDRForLegacyField(ep, ex, true, nil)
		errs = append(errs, exErrs...)
		if except, err := netip.ParsePrefix(ex); len(exErrs) == 0 && err == nil && !strictSubset(except, cidr) {
			errs = append(errs, field.Invalid(ep, ex, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

func strictSubset(inner, outer netip.Prefix) bool {
	return outer.Contains(inner.Addr()) && inner.Bits() > outer.Bits()
}
