package networking

import (
	"net/netip"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// classAnnotation is the pre-ingressClassName way of naming a class.
const classAnnotation = "kubernetes.io/ingress.class"

var (
	pathTypes       = []networkingv1.PathType{networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific}
	badPathParts    = []string{"//", "/./", "/../", "%2f", "%2F"}
	badPathSuffixes = []string{"/..", "/."}
)

// ingressStrategy adds the status subresource: controllers own status,
// clients own spec.
type ingressStrategy struct{ specStrategy }

func (ingressStrategy) PrepareForCreate(obj runtime.Object) {
	obj.(*networkingv1.Ingress).Status = networkingv1.IngressStatus{}
}

func (s ingressStrategy) PrepareForUpdate(obj, old runtime.Object) {
	obj.(*networkingv1.Ingress).Status = old.(*networkingv1.Ingress).Status
	s.specStrategy.PrepareForUpdate(obj, old)
}

// Validate adds the create-only check that the legacy class annotation
// agrees with ingressClassName.
func (s ingressStrategy) Validate(obj runtime.Object) field.ErrorList {
	errs := s.specStrategy.Validate(obj)
	ing := obj.(*networkingv1.Ingress)
	if v, ok := ing.Annotations[classAnnotation]; ok && ing.Spec.IngressClassName != nil && v != *ing.Spec.IngressClassName {
		errs = append(errs, field.Invalid(field.NewPath("annotations").Child(classAnnotation), v, "must match `ingressClassName` when both are specified"))
	}
	return errs
}

func (ingressStrategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	obj.(*networkingv1.Ingress).Spec = old.(*networkingv1.Ingress).Spec
}

func (ingressStrategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	errs := rest.ValidateMetaUpdate(obj, old)
	p := field.NewPath("status", "loadBalancer", "ingress")
	for i, lb := range obj.(*networkingv1.Ingress).Status.LoadBalancer.Ingress {
		if lb.IP != "" {
			errs = append(errs, utilvalidation.IsValidIPForLegacyField(p.Index(i).Child("ip"), lb.IP, true, nil)...)
		}
		if lb.Hostname != "" {
			hp := p.Index(i).Child("hostname")
			errs = append(errs, notIP(lb.Hostname, hp)...)
			errs = append(errs, invalid(hp, lb.Hostname, utilvalidation.IsDNS1123Subdomain(lb.Hostname))...)
		}
	}
	return errs
}

func validateIngress(obj runtime.Object) field.ErrorList {
	spec := &obj.(*networkingv1.Ingress).Spec
	p := field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		errs = append(errs, field.Invalid(p, spec.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		errs = append(errs, validateBackend(spec.DefaultBackend, p.Child("defaultBackend"))...)
	}
	for i := range spec.Rules {
		errs = append(errs, validateRule(&spec.Rules[i], p.Child("rules").Index(i))...)
	}
	for i, tls := range spec.TLS {
		errs = append(errs, validateTLS(tls, p.Child("tls").Index(i))...)
	}
	if c := spec.IngressClassName; c != nil {
		errs = append(errs, invalid(p.Child("ingressClassName"), *c, apivalidation.NameIsDNSSubdomain(*c, false))...)
	}
	return errs
}

// validateHost accepts a DNS subdomain, optionally under a "*." wildcard.
func validateHost(host string, p *field.Path) field.ErrorList {
	if strings.Contains(host, "*") {
		return invalid(p, host, utilvalidation.IsWildcardDNS1123Subdomain(host))
	}
	return invalid(p, host, utilvalidation.IsDNS1123Subdomain(host))
}

// notIP rejects an IP where a proxy expects a name to route on.
func notIP(host string, p *field.Path) field.ErrorList {
	if _, err := netip.ParseAddr(host); err == nil {
		return field.ErrorList{field.Invalid(p, host, "must be a DNS name, not an IP address")}
	}
	return nil
}

func validateTLS(tls networkingv1.IngressTLS, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, h := range tls.Hosts {
		errs = append(errs, validateHost(h, p.Child("hosts").Index(i))...)
	}
	if tls.SecretName != "" {
		errs = append(errs, invalid(p.Child("secretName"), tls.SecretName, apivalidation.NameIsDNSSubdomain(tls.SecretName, false))...)
	}
	return errs
}

func validateRule(r *networkingv1.IngressRule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.Host != "" {
		errs = append(notIP(r.Host, p.Child("host")), validateHost(r.Host, p.Child("host"))...)
	}
	if r.HTTP == nil {
		return errs
	}
	pp := p.Child("http", "paths")
	if len(r.HTTP.Paths) == 0 {
		errs = append(errs, field.Required(pp, ""))
	}
	for i := range r.HTTP.Paths {
		errs = append(errs, validatePath(&r.HTTP.Paths[i], pp.Index(i))...)
	}
	return errs
}

func validatePath(hp *networkingv1.HTTPIngressPath, p *field.Path) field.ErrorList {
	if hp.PathType == nil {
		return field.ErrorList{field.Required(p.Child("pathType"), "pathType must be specified")}
	}
	var errs field.ErrorList
	switch *hp.PathType {
	case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
		errs = validatePathValue(hp.Path, true, p.Child("path"))
	case networkingv1.PathTypeImplementationSpecific:
		errs = validatePathValue(hp.Path, false, p.Child("path"))
	default:
		errs = field.ErrorList{field.NotSupported(p.Child("pathType"), *hp.PathType, pathTypes)}
	}
	return append(errs, validateBackend(&hp.Backend, p.Child("backend"))...)
}

// validatePathValue requires an absolute path; strict (Exact and Prefix)
// paths may also not hold segments a proxy would normalize away.
func validatePathValue(path string, strict bool, p *field.Path) field.ErrorList {
	if path == "" && !strict {
		return nil
	}
	var errs field.ErrorList
	if !strings.HasPrefix(path, "/") {
		errs = append(errs, field.Invalid(p, path, "must be an absolute path"))
	}
	if !strict {
		return errs
	}
	for _, s := range badPathParts {
		if strings.Contains(path, s) {
			errs = append(errs, field.Invalid(p, path, "must not contain '"+s+"'"))
		}
	}
	for _, s := range badPathSuffixes {
		if strings.HasSuffix(path, s) {
			errs = append(errs, field.Invalid(p, path, "cannot end with '"+s+"'"))
		}
	}
	return errs
}

// validateBackend wants exactly one of a service and a resource.
func validateBackend(b *networkingv1.IngressBackend, p *field.Path) field.ErrorList {
	switch {
	case b.Resource != nil && b.Service != nil:
		return field.ErrorList{field.Invalid(p, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		return validateLocalRef(b.Resource.APIGroup, b.Resource.Kind, b.Resource.Name, p.Child("resource"))
	case b.Service != nil:
		return validateServiceBackend(b.Service, p)
	}
	return field.ErrorList{field.Invalid(p, "", "resource or service backend is required")}
}

func validateServiceBackend(s *networkingv1.IngressServiceBackend, p *field.Path) field.ErrorList {
	sp := p.Child("service")
	var errs field.ErrorList
	if s.Name == "" {
		errs = append(errs, field.Required(sp.Child("name"), ""))
	} else {
		errs = invalid(sp.Child("name"), s.Name, apivalidation.NameIsDNS1035Label(s.Name, false))
	}
	switch port := s.Port; {
	case port.Name != "" && port.Number != 0:
		errs = append(errs, field.Invalid(p, "", "cannot set both port name & port number"))
	case port.Name != "":
		errs = append(errs, invalid(sp.Child("port", "name"), port.Name, utilvalidation.IsValidPortName(port.Name))...)
	case port.Number != 0:
		errs = append(errs, invalid(sp.Child("port", "number"), port.Number, utilvalidation.IsValidPortNum(int(port.Number)))...)
	default:
		errs = append(errs, field.Required(p, "port name or number is required"))
	}
	return errs
}
