package core

import (
	"github.com/skiff-sh/skiff/internal/registry/rest"

	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
)

var accessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOncePod}

// legacyNameField is the "name" field selector Kubernetes keeps on
// volumes and claims for compatibility.
func legacyNameField(name string) fields.Set { return fields.Set{"name": name} }

func pvStrategy() object[*corev1.PersistentVolume] {
	return object[*corev1.PersistentVolume]{
		defaults:       defaultPV,
		create:         preparePVCreate,
		keepStatus:     func(pv, old *corev1.PersistentVolume) { pv.Status = old.Status },
		keepSpec:       keepPVSpec,
		validate:       validatePV,
		validateUpdate: validatePVUpdate,
		fields:         func(pv *corev1.PersistentVolume) fields.Set { return legacyNameField(pv.Name) },
	}
}

func defaultPV(pv *corev1.PersistentVolume) {
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		pv.Spec.VolumeMode = ptr(corev1.PersistentVolumeFilesystem)
	}
	if h := pv.Spec.HostPath; h != nil && h.Type == nil {
		h.Type = ptr(corev1.HostPathUnset)
	}
}

// preparePVCreate starts a volume Pending; the binder moves it on.
func preparePVCreate(pv *corev1.PersistentVolume) {
	pv.Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending, LastPhaseTransitionTime: ptr(metav1.Now().Rfc3339Copy())}
}

// keepPVSpec keeps the spec on a status write and stamps phase changes.
func keepPVSpec(pv, old *corev1.PersistentVolume) {
	pv.Spec = old.Spec
	t := pv.Status.LastPhaseTransitionTime
	if pv.Status.Phase != old.Status.Phase && (t == nil || apiequality.Semantic.DeepEqual(t, old.Status.LastPhaseTransitionTime)) {
		pv.Status.LastPhaseTransitionTime = ptr(metav1.Now().Rfc3339Copy())
	}
}

func validatePV(pv *corev1.PersistentVolume) field.ErrorList {
	spec := &pv.Spec
	errs := validateAccessModes(spec.AccessModes, specPath.Child("accessModes"), "")
	cp := specPath.Child("capacity")
	_, hasStorage := spec.Capacity[corev1.ResourceStorage]
	switch {
	case len(spec.Capacity) == 0:
		errs = append(errs, field.Required(cp, ""))
	case !hasStorage || len(spec.Capacity) > 1:
		errs = append(errs, field.NotSupported(cp, resourceNames(spec.Capacity), []string{string(corev1.ResourceStorage)}))
	default:
		errs = append(errs, podspec.ValidateQuantity(spec.Capacity[corev1.ResourceStorage], cp.Key(string(corev1.ResourceStorage)))...)
	}
	errs = append(errs, rest.Enum(spec.PersistentVolumeReclaimPolicy, specPath.Child("persistentVolumeReclaimPolicy"), corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle, corev1.PersistentVolumeReclaimRetain)...)
	errs = append(errs, validateVolumeMode(spec.VolumeMode)...)
	errs = append(errs, validateClassName(spec.StorageClassName)...)
	errs = append(errs, podspec.ValidateOneSource(&spec.PersistentVolumeSource, specPath)...)
	if spec.HostPath != nil && spec.HostPath.Path == "" {
		errs = append(errs, field.Required(specPath.Child("hostPath", "path"), ""))
	}
	if spec.Local != nil && spec.NodeAffinity == nil {
		errs = append(errs, field.Required(specPath.Child("nodeAffinity"), "Local volume requires node affinity"))
	}
	return errs
}

// validatePVUpdate keeps the volume source, mode and class once set.
func validatePVUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	var errs field.ErrorList
	if !apiequality.Semantic.DeepEqual(pv.Spec.PersistentVolumeSource, old.Spec.PersistentVolumeSource) {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "persistentvolumesource"), "spec.persistentvolumesource is immutable after creation"))
	}
	// Kubernetes reports volumeMode without its spec prefix.
	errs = append(errs, apivalidation.ValidateImmutableField(pv.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
	if old.Spec.StorageClassName != "" {
		errs = append(errs, apivalidation.ValidateImmutableField(pv.Spec.StorageClassName, old.Spec.StorageClassName, specPath.Child("storageClassName"))...)
	}
	if old.Spec.NodeAffinity != nil {
		errs = append(errs, apivalidation.ValidateImmutableField(pv.Spec.NodeAffinity, old.Spec.NodeAffinity, specPath.Child("nodeAffinity"))...)
	}
	return errs
}

func pvcStrategy() object[*corev1.PersistentVolumeClaim] {
	return object[*corev1.PersistentVolumeClaim]{
		namespaced: true,
		defaults:   func(c *corev1.PersistentVolumeClaim) { podspec.DefaultClaimSpec(&c.Spec) },
		create: func(c *corev1.PersistentVolumeClaim) {
			c.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
		},
		keepStatus:     func(c, old *corev1.PersistentVolumeClaim) { c.Status = old.Status },
		keepSpec:       func(c, old *corev1.PersistentVolumeClaim) { c.Spec = old.Spec },
		validate:       func(c *corev1.PersistentVolumeClaim) field.ErrorList { return ValidateClaimSpec(&c.Spec, specPath) },
		validateUpdate: validatePVCUpdate,
		validateStatus: func(c, _ *corev1.PersistentVolumeClaim) field.ErrorList {
			return validateResourceList(c.Status.Capacity, podspec.ValidateResourceName, field.NewPath("status", "capacity"))
		},
		fields: func(c *corev1.PersistentVolumeClaim) fields.Set { return legacyNameField(c.Name) },
	}
}

// ValidateClaimSpec checks a PersistentVolumeClaim spec (also a
// StatefulSet's claim template): access modes, a positive storage request,
// selector, volume mode and class.
func ValidateClaimSpec(spec *corev1.PersistentVolumeClaimSpec, p *field.Path) field.ErrorList {
	errs := validateAccessModes(spec.AccessModes, p.Child("accessModes"), "at least 1 access mode is required")
	if spec.Selector != nil {
		errs = append(errs, metavalidation.ValidateLabelSelector(spec.Selector, metavalidation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
	}
	sp := p.Child("resources").Key(string(corev1.ResourceStorage))
	if q, ok := spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		errs = append(errs, field.Required(sp, ""))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(sp, q.String(), "must be greater than zero"))
	}
	if spec.VolumeMode != nil {
		errs = append(errs, rest.Enum(*spec.VolumeMode, p.Child("volumeMode"), corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem)...)
	}
	if spec.StorageClassName != nil && *spec.StorageClassName != "" {
		errs = append(errs, validateClassNameAt(*spec.StorageClassName, p.Child("storageClassName"))...)
	}
	return errs
}

// validatePVCUpdate keeps a claim's spec, except that the binder sets
// volumeName once and a bound claim's storage request may grow (or shrink
// back to what the volume has, after a failed expansion).
func validatePVCUpdate(c, old *corev1.PersistentVolumeClaim) field.ErrorList {
	var errs field.ErrorList
	next, prev := c.Spec.DeepCopy(), old.Spec.DeepCopy()
	if prev.VolumeName == "" {
		prev.VolumeName = next.VolumeName
	}
	prev.VolumeAttributesClassName = next.VolumeAttributesClassName
	if c.Status.Phase == corev1.ClaimBound && next.Resources.Requests != nil {
		next.Resources.Requests[corev1.ResourceStorage] = prev.Resources.Requests[corev1.ResourceStorage]
	}
	if !apiequality.Semantic.DeepEqual(next, prev) {
		errs = append(errs, field.Forbidden(specPath, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
	}
	size, oldSize := c.Spec.Resources.Requests[corev1.ResourceStorage], old.Spec.Resources.Requests[corev1.ResourceStorage]
	capacity := old.Status.Capacity[corev1.ResourceStorage]
	if size.Cmp(oldSize) < 0 && size.Cmp(capacity) <= 0 {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "resources", "requests", "storage"), "field can not be less than status.capacity"))
	}
	return append(errs, apivalidation.ValidateImmutableField(c.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
}

// validateAccessModes requires known modes, with ReadWriteOncePod alone.
func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, p *field.Path, requiredMsg string) field.ErrorList {
	if len(modes) == 0 {
		return field.ErrorList{field.Required(p, requiredMsg)}
	}
	var errs field.ErrorList
	for _, m := range modes {
		errs = append(errs, rest.Enum(m, p, accessModes...)...)
	}
	if slices.Contains(modes, corev1.ReadWriteOncePod) && len(modes) > 1 {
		errs = append(errs, field.Forbidden(p, "may not use ReadWriteOncePod with other access modes"))
	}
	return errs
}

func validateVolumeMode(m *corev1.PersistentVolumeMode) field.ErrorList {
	if m == nil {
		return nil
	}
	return rest.Enum(*m, specPath.Child("volumeMode"), corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem)
}

func validateClassName(name string) field.ErrorList {
	if name == "" {
		return nil
	}
	return validateClassNameAt(name, specPath.Child("storageClassName"))
}

func validateClassNameAt(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range content.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func resourceNames(l corev1.ResourceList) []corev1.ResourceName { return slices.Sorted(maps.Keys(l)) }

// validateResourceList checks each name with nameFn and each quantity is
// not negative.
func validateResourceList(l corev1.ResourceList, nameFn func(corev1.ResourceName, *field.Path) field.ErrorList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, n := range resourceNames(l) {
		errs = append(errs, nameFn(n, p.Key(string(n)))...)
		errs = append(errs, podspec.ValidateQuantity(l[n], p.Key(string(n)))...)
	}
	return errs
}
