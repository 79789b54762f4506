package core

import (
	"github.com/skiff-sh/skiff/internal/registry/rest"

	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
)

// maxClientIPAffinity is the longest ClientIP session affinity, a day.
const maxClientIPAffinity = 86400

func serviceStrategy() object[*corev1.Service] {
	return object[*corev1.Service]{
		namespaced:     true,
		nameFn:         apivalidation.NameIsDNS1035Label,
		defaults:       defaultService,
		create:         func(s *corev1.Service) { s.Status = corev1.ServiceStatus{} },
		update:         prepareServiceUpdate,
		keepStatus:     func(s, old *corev1.Service) { s.Status = old.Status },
		keepSpec:       keepServiceSpec,
		validate:       validateService,
		validateUpdate: validateServiceUpdate,
		validateStatus: func(s, _ *corev1.Service) field.ErrorList { return validateLoadBalancerStatus(&s.Status.LoadBalancer) },
		fields: func(s *corev1.Service) fields.Set {
			return fields.Set{"spec.clusterIP": s.Spec.ClusterIP, "spec.type": string(s.Spec.Type)}
		},
	}
}

// keepServiceSpec keeps the spec on a status write and defaults the
// ipMode of load balancer IPs, as Kubernetes' defaulter does on decode.
func keepServiceSpec(s, old *corev1.Service) {
	s.Spec = old.Spec
	for i := range s.Status.LoadBalancer.Ingress {
		if in := &s.Status.LoadBalancer.Ingress[i]; in.IP != "" && in.IPMode == nil {
			in.IPMode = ptr(corev1.LoadBalancerIPModeVIP)
		}
	}
}

func externallyAccessible(s *corev1.Service) bool {
	t := s.Spec.Type
	return t == corev1.ServiceTypeLoadBalancer || t == corev1.ServiceTypeNodePort || (t == corev1.ServiceTypeClusterIP && len(s.Spec.ExternalIPs) > 0)
}

func needsNodePorts(t corev1.ServiceType) bool {
	return t == corev1.ServiceTypeNodePort || t == corev1.ServiceTypeLoadBalancer
}

// defaultService fills a Service as SetDefaults_Service does, plus the IP
// family fields Kubernetes' service REST fills on a single-stack IPv4
// cluster. The ClusterIP itself is allocated after validation.
func defaultService(s *corev1.Service) {
	spec := &s.Spec
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	if spec.SessionAffinity == corev1.ServiceAffinityNone {
		spec.SessionAffinityConfig = nil
	}
	if spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		c := spec.SessionAffinityConfig
		if c == nil || c.ClientIP == nil || c.ClientIP.TimeoutSeconds == nil {
			spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr(corev1.DefaultClientIPServiceAffinitySeconds)}}
		}
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if externallyAccessible(s) && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if spec.InternalTrafficPolicy == nil && spec.Type != corev1.ServiceTypeExternalName {
		spec.InternalTrafficPolicy = ptr(corev1.ServiceInternalTrafficPolicyCluster)
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer && spec.AllocateLoadBalancerNodePorts == nil {
		spec.AllocateLoadBalancerNodePorts = ptr(true)
	}
	defaultClusterIPs(spec)
}

// defaultClusterIPs keeps clusterIP and clusterIPs[0] in step and sets the
// IP family fields: headless services without a selector ask for every
// family the cluster has.
func defaultClusterIPs(spec *corev1.ServiceSpec) {
	switch {
	case spec.ClusterIP != "" && len(spec.ClusterIPs) == 0:
		spec.ClusterIPs = []string{spec.ClusterIP}
	case spec.ClusterIP == "" && len(spec.ClusterIPs) > 0:
		spec.ClusterIP = spec.ClusterIPs[0]
	}
	if spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if spec.IPFamilyPolicy == nil {
		policy := corev1.IPFamilyPolicySingleStack
		if spec.ClusterIP == corev1.ClusterIPNone && len(spec.Selector) == 0 {
			policy = corev1.IPFamilyPolicyRequireDualStack
		}
		spec.IPFamilyPolicy = &policy
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
}

// prepareServiceUpdate carries allocated values forward, so that a PUT
// without clusterIP or nodePort keeps them, and drops those the new type
// no longer uses when the client left them as they were.
func prepareServiceUpdate(s, old *corev1.Service) {
	spec, prev := &s.Spec, &old.Spec
	wantsIP := func(sp *corev1.ServiceSpec) bool { return sp.Type != corev1.ServiceTypeExternalName }
	if wantsIP(spec) && wantsIP(prev) && spec.ClusterIP == "" {
		spec.ClusterIP, spec.ClusterIPs = prev.ClusterIP, prev.ClusterIPs
	}
	if needsNodePorts(spec.Type) && needsNodePorts(prev.Type) {
		for i := range spec.Ports {
			if p := &spec.Ports[i]; p.NodePort == 0 {
				p.NodePort = oldNodePort(prev.Ports, p)
			}
		}
	}
	if !wantsIP(spec) && wantsIP(prev) && slicesEqual(spec.ClusterIPs, prev.ClusterIPs) {
		spec.ClusterIP, spec.ClusterIPs = "", nil
		spec.IPFamilies, spec.IPFamilyPolicy, spec.InternalTrafficPolicy = nil, nil, nil
	}
	if !needsNodePorts(spec.Type) && needsNodePorts(prev.Type) {
		for i := range spec.Ports {
			if p := &spec.Ports[i]; p.NodePort == oldNodePort(prev.Ports, p) {
				p.NodePort = 0
			}
		}
	}
	if !externallyAccessible(s) && externallyAccessible(old) && spec.ExternalTrafficPolicy == prev.ExternalTrafficPolicy {
		spec.ExternalTrafficPolicy = ""
	}
}

// oldNodePort finds the node port old gave the same port and protocol.
func oldNodePort(old []corev1.ServicePort, p *corev1.ServicePort) int32 {
	for _, o := range old {
		if o.Port == p.Port && o.Protocol == p.Protocol {
			return o.NodePort
		}
	}
	return 0
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func validateService(s *corev1.Service) field.ErrorList {
	spec := &s.Spec
	errs := validateServiceType(s)
	if len(spec.Ports) == 0 && spec.ClusterIP != corev1.ClusterIPNone && spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(specPath.Child("ports"), ""))
	}
	errs = append(errs, validateServicePorts(s)...)
	errs = append(errs, validateClusterIPs(spec)...)
	errs = append(errs, metavalidation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	errs = append(errs, validateSessionAffinity(spec)...)
	errs = append(errs, validateTrafficPolicies(s)...)
	for i, ip := range spec.ExternalIPs {
		errs = append(errs, validation.IsValidIP(specPath.Child("externalIPs").Index(i), ip)...)
	}
	return errs
}

var serviceTypes = []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort}

func validateServiceType(s *corev1.Service) field.ErrorList {
	spec := &s.Spec
	switch spec.Type {
	case corev1.ServiceTypeExternalName:
		return validateExternalName(spec)
	case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort:
		if spec.ClusterIP == corev1.ClusterIPNone {
			return field.ErrorList{field.Invalid(specPath.Child("clusterIPs").Index(0), spec.ClusterIP, fmt.Sprintf("may not be set to 'None' for %s services", spec.Type))}
		}
	case corev1.ServiceTypeClusterIP:
	default:
		names := make([]string, len(serviceTypes))
		for i, t := range serviceTypes {
			names[i] = string(t)
		}
		return field.ErrorList{field.NotSupported(specPath.Child("type"), spec.Type, names)}
	}
	return nil
}

func validateExternalName(spec *corev1.ServiceSpec) field.ErrorList {
	var errs field.ErrorList
	forbid := func(set bool, name string) {
		if set {
			errs = append(errs, field.Forbidden(specPath.Child(name), "may not be set for ExternalName services"))
		}
	}
	forbid(len(spec.ClusterIPs) > 0, "clusterIPs")
	forbid(len(spec.IPFamilies) > 0, "ipFamilies")
	forbid(spec.IPFamilyPolicy != nil, "ipFamilyPolicy")
	// The name may end in a dot to mark it fully qualified.
	cname := strings.TrimSuffix(spec.ExternalName, ".")
	if cname == "" {
		return append(errs, field.Required(specPath.Child("externalName"), ""))
	}
	for _, msg := range content.IsDNS1123Subdomain(cname) {
		errs = append(errs, field.Invalid(specPath.Child("externalName"), cname, msg))
	}
	return errs
}

func validateServicePorts(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	seen := sets.New[string]()
	nodePorts := sets.New[string]()
	pp := specPath.Child("ports")
	for i := range s.Spec.Ports {
		p, ip := &s.Spec.Ports[i], pp.Index(i)
		errs = append(errs, validateServicePortName(p.Name, len(s.Spec.Ports) > 1, names, ip.Child("name"))...)
		errs = append(errs, rest.PortNumber(p.Port, ip.Child("port"))...)
		errs = append(errs, podspec.ValidateProtocol(p.Protocol, ip.Child("protocol"))...)
		errs = append(errs, podspec.ValidatePortNumOrName(p.TargetPort, ip.Child("targetPort"))...)
		if key := fmt.Sprintf("%d/%s", p.Port, p.Protocol); seen.Has(key) {
			errs = append(errs, field.Duplicate(ip, key))
		} else {
			seen.Insert(key)
		}
		errs = append(errs, validateNodePort(s.Spec.Type, p, nodePorts, ip.Child("nodePort"))...)
	}
	return errs
}

func validateServicePortName(name string, required bool, names sets.Set[string], p *field.Path) field.ErrorList {
	switch {
	case name == "" && required:
		return field.ErrorList{field.Required(p, "")}
	case name == "":
		return nil
	case names.Has(name):
		return field.ErrorList{field.Duplicate(p, name)}
	}
	names.Insert(name)
	var errs field.ErrorList
	for _, msg := range content.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

// validateNodePort allows a node port only on NodePort and LoadBalancer
// services; 0 means one is allocated after validation.
func validateNodePort(t corev1.ServiceType, p *corev1.ServicePort, seen sets.Set[string], fp *field.Path) field.ErrorList {
	if p.NodePort == 0 {
		return nil
	}
	if !needsNodePorts(t) {
		return field.ErrorList{field.Forbidden(fp, fmt.Sprintf("may not be used when `type` is '%s'", t))}
	}
	errs := rest.PortNumber(p.NodePort, fp)
	if key := fmt.Sprintf("%d/%s", p.NodePort, p.Protocol); seen.Has(key) {
		errs = append(errs, field.Duplicate(fp, key))
	} else {
		seen.Insert(key)
	}
	return errs
}

// validateClusterIPs accepts an empty clusterIP (allocated later),
// "None" alone, or valid IPs, with clusterIP equal to clusterIPs[0].
func validateClusterIPs(spec *corev1.ServiceSpec) field.ErrorList {
	var errs field.ErrorList
	cp := specPath.Child("clusterIPs")
	if len(spec.ClusterIPs) > 0 && spec.ClusterIP != spec.ClusterIPs[0] {
		errs = append(errs, field.Invalid(cp, spec.ClusterIPs, "first value must match `clusterIP`"))
	}
	if len(spec.ClusterIPs) > 2 {
		errs = append(errs, field.Invalid(cp, spec.ClusterIPs, "may only hold up to 2 values"))
	}
	for i, ip := range spec.ClusterIPs {
		switch {
		case ip == corev1.ClusterIPNone && (i > 0 || len(spec.ClusterIPs) > 1):
			errs = append(errs, field.Invalid(cp.Index(i), ip, "'None' must be the first and only value"))
		case ip != corev1.ClusterIPNone:
			errs = append(errs, validation.IsValidIP(cp.Index(i), ip)...)
		}
	}
	if pol := spec.IPFamilyPolicy; pol != nil {
		errs = append(errs, rest.Enum(*pol, specPath.Child("ipFamilyPolicy"), corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack)...)
	}
	fams := sets.New[corev1.IPFamily]()
	for i, f := range spec.IPFamilies {
		fp := specPath.Child("ipFamilies").Index(i)
		if fams.Has(f) {
			errs = append(errs, field.Duplicate(fp, f))
		}
		fams.Insert(f)
		errs = append(errs, rest.Enum(f, fp, corev1.IPv4Protocol, corev1.IPv6Protocol)...)
	}
	return errs
}

func validateSessionAffinity(spec *corev1.ServiceSpec) field.ErrorList {
	p := specPath.Child("sessionAffinity")
	errs := rest.Enum(spec.SessionAffinity, p, corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone)
	cfg, cp := spec.SessionAffinityConfig, specPath.Child("sessionAffinityConfig")
	switch spec.SessionAffinity {
	case corev1.ServiceAffinityClientIP:
		if cfg == nil || cfg.ClientIP == nil || cfg.ClientIP.TimeoutSeconds == nil {
			return append(errs, field.Required(cp, "when session affinity type is ClientIP"))
		}
		if t := *cfg.ClientIP.TimeoutSeconds; t <= 0 || t > maxClientIPAffinity {
			errs = append(errs, field.Invalid(cp.Child("clientIP", "timeoutSeconds"), t, fmt.Sprintf("must be greater than 0 and less than %d", maxClientIPAffinity)))
		}
	case corev1.ServiceAffinityNone:
		if cfg != nil {
			errs = append(errs, field.Invalid(cp, cfg, fmt.Sprintf("must not be set when session affinity is %s", corev1.ServiceAffinityNone)))
		}
	}
	return errs
}

func validateTrafficPolicies(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	etp := s.Spec.ExternalTrafficPolicy
	switch {
	case !externallyAccessible(s) && etp != "":
		errs = append(errs, field.Invalid(specPath.Child("externalTrafficPolicy"), etp, "may only be set for externally-accessible services"))
	case externallyAccessible(s):
		errs = append(errs, rest.Enum(etp, specPath.Child("externalTrafficPolicy"), corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal)...)
	}
	if itp := s.Spec.InternalTrafficPolicy; itp != nil {
		errs = append(errs, rest.Enum(*itp, specPath.Child("internalTrafficPolicy"), corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal)...)
	}
	return errs
}

// validateServiceUpdate keeps the primary ClusterIP, except when the
// service turns into or out of an ExternalName one.
func validateServiceUpdate(s, old *corev1.Service) field.ErrorList {
	ext := corev1.ServiceTypeExternalName
	if s.Spec.Type == ext || old.Spec.Type == ext || len(old.Spec.ClusterIPs) == 0 {
		return nil
	}
	if len(s.Spec.ClusterIPs) == 0 || s.Spec.ClusterIPs[0] != old.Spec.ClusterIPs[0] {
		return field.ErrorList{field.Invalid(specPath.Child("clusterIPs").Index(0), s.Spec.ClusterIPs, "may not change once set")}
	}
	return nil
}

func validateLoadBalancerStatus(st *corev1.LoadBalancerStatus) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("status", "loadBalancer", "ingress")
	for i, in := range st.Ingress {
		ip := p.Index(i)
		if in.IP != "" {
			errs = append(errs, validation.IsValidIP(ip.Child("ip"), in.IP)...)
		}
		if in.IPMode != nil && in.IP == "" {
			errs = append(errs, field.Forbidden(ip.Child("ipMode"), "may not be specified when `ip` is not set"))
		}
		if in.Hostname != "" {
			for _, msg := range content.IsDNS1123Subdomain(in.Hostname) {
				errs = append(errs, field.Invalid(ip.Child("hostname"), in.Hostname, msg))
			}
		}
	}
	return errs
}
