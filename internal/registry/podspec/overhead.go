package podspec

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateOverhead checks a fixed pod overhead (RuntimeClass overhead,
// pod spec.overhead) as Kubernetes does: as if it were a container's
// limits, so names must be container resources and quantities not negative.
func ValidateOverhead(l corev1.ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, n := range sortedNames(l) {
		fp := p.Key(string(n))
		errs = append(errs, ValidateContainerResourceName(n, fp)...)
		errs = append(errs, validateResourceQuantity(n, l[n], fp)...)
	}
	return errs
}
