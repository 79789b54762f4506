package podspec

import (
	"github.com/skiff-sh/skiff/internal/registry/rest"

	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// standardResources are the unqualified resource names Kubernetes knows
// (IsStandardResourceName), hugepages aside.
var standardResources = sets.New[corev1.ResourceName](
	corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage,
	corev1.ResourcePods, corev1.ResourceServices, corev1.ResourceReplicationControllers,
	corev1.ResourceQuotas, corev1.ResourceSecrets, corev1.ResourceConfigMaps,
	corev1.ResourcePersistentVolumeClaims, corev1.ResourceStorage, corev1.ResourceRequestsStorage,
	corev1.ResourceServicesNodePorts, corev1.ResourceServicesLoadBalancers,
)

var containerResources = sets.New[corev1.ResourceName](corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage)

func isHugePages(n corev1.ResourceName) bool {
	return strings.HasPrefix(string(n), corev1.ResourceHugePagesPrefix)
}

// isNative reports a resource Kubernetes itself defines: unqualified or in
// the kubernetes.io domain.
func isNative(n corev1.ResourceName) bool {
	return !strings.Contains(string(n), "/") || strings.Contains(string(n), corev1.ResourceDefaultNamespacePrefix)
}

// IsExtendedResource reports a device-plugin style resource such as
// example.com/gpu: qualified, outside kubernetes.io.
func IsExtendedResource(n corev1.ResourceName) bool {
	if isNative(n) || strings.HasPrefix(string(n), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(content.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(n))) == 0
}

// ValidateResourceName checks a resource name is qualified and, when it
// has no domain, a standard one (IsStandardResourceName).
func ValidateResourceName(n corev1.ResourceName, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range content.IsQualifiedName(string(n)) {
		errs = append(errs, field.Invalid(p, n, msg))
	}
	if len(errs) > 0 || strings.Contains(string(n), "/") {
		return errs
	}
	s := string(n)
	if !standardResources.Has(n) && !isHugePages(n) && !strings.HasPrefix(s, "requests."+corev1.ResourceHugePagesPrefix) && !strings.HasPrefix(s, "limits."+corev1.ResourceHugePagesPrefix) {
		errs = append(errs, field.Invalid(p, n, "must be a standard resource type or fully qualified"))
	}
	return errs
}

// ValidateContainerResourceName checks a name usable in a container's
// requests and limits.
func ValidateContainerResourceName(n corev1.ResourceName, p *field.Path) field.ErrorList {
	errs := ValidateResourceName(n, p)
	switch {
	case len(errs) > 0:
	case !strings.Contains(string(n), "/"):
		if !containerResources.Has(n) && !isHugePages(n) {
			errs = append(errs, field.Invalid(p, n, "must be a standard resource for containers"))
		}
	case !isNative(n) && !IsExtendedResource(n):
		errs = append(errs, field.Invalid(p, n, "doesn't follow extended resource name standard"))
	}
	return errs
}

// ValidateQuantity checks a quantity is not negative.
func ValidateQuantity(q resource.Quantity, p *field.Path) field.ErrorList {
	if q.Sign() < 0 {
		return field.ErrorList{field.Invalid(p, q.String(), "must be greater than or equal to 0")}
	}
	return nil
}

// validateResourceQuantity adds, for resources counted in whole units
// (extended resources), that the quantity is an integer.
func validateResourceQuantity(n corev1.ResourceName, q resource.Quantity, p *field.Path) field.ErrorList {
	errs := ValidateQuantity(q, p)
	if IsExtendedResource(n) && q.MilliValue()%1000 != 0 {
		errs = append(errs, field.Invalid(p, q.String(), "must be an integer"))
	}
	return errs
}

// validateResources checks a container's requests and limits: names,
// non-negative quantities, requests not above limits, and for resources
// that cannot be overcommitted, requests equal to limits.
func validateResources(r *corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	limPath, reqPath := p.Child("limits"), p.Child("requests")
	for _, n := range sortedNames(r.Limits) {
		fp := limPath.Key(string(n))
		errs = append(errs, ValidateContainerResourceName(n, fp)...)
		errs = append(errs, validateResourceQuantity(n, r.Limits[n], fp)...)
	}
	for _, n := range sortedNames(r.Requests) {
		fp, q := reqPath.Key(string(n)), r.Requests[n]
		errs = append(errs, ValidateContainerResourceName(n, fp)...)
		errs = append(errs, validateResourceQuantity(n, q, fp)...)
		overcommit := isNative(n) && !isHugePages(n)
		lim, ok := r.Limits[n]
		switch {
		case !ok && !overcommit:
			errs = append(errs, field.Required(limPath, "Limit must be set for non overcommitable resources"))
		case !ok:
		case !overcommit && q.Cmp(lim) != 0:
			errs = append(errs, field.Invalid(reqPath, q.String(), fmt.Sprintf("must be equal to %s limit of %s", n, lim.String())))
		case q.Cmp(lim) > 0:
			errs = append(errs, field.Invalid(reqPath, q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", n, lim.String())))
		}
	}
	return errs
}

func sortedNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ValidatePortNumOrName checks a port given by number (1-65535) or by
// IANA service name.
func ValidatePortNumOrName(port intstr.IntOrString, p *field.Path) field.ErrorList {
	if port.Type == intstr.Int {
		return rest.PortNumber(port.IntVal, p)
	}
	if port.StrVal == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortName(port.StrVal) {
		errs = append(errs, field.Invalid(p, port.StrVal, msg))
	}
	return errs
}
