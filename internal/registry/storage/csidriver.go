package storage

import (
	storagev1 "k8s.io/api/storage/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// minTokenSeconds and maxTokenSeconds bound a CSI token request's
// expirationSeconds, as for service account tokens.
const (
	minTokenSeconds = 600
	maxTokenSeconds = 1 << 32
)

var (
	fsGroupPolicies = []storagev1.FSGroupPolicy{storagev1.FileFSGroupPolicy, storagev1.NoneFSGroupPolicy, storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy}
	lifecycleModes  = []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral}
)

func csiDriverStrategy() rest.Simple {
	return rest.Simple{DefaultFn: defaultCSIDriver, ValidateFn: validateCSIDriver, ValidateUpdateFn: validateCSIDriverUpdate}
}

// defaultCSIDriver sets Kubernetes' defaults: attach required, no pod
// info, persistent volumes only, fsGroup applied for RWO volumes with an
// fsType.
func defaultCSIDriver(obj runtime.Object) {
	spec := &obj.(*storagev1.CSIDriver).Spec
	for _, f := range []struct {
		p   **bool
		def bool
	}{
		{&spec.AttachRequired, true}, {&spec.PodInfoOnMount, false}, {&spec.StorageCapacity, false},
		{&spec.RequiresRepublish, false}, {&spec.SELinuxMount, false},
	} {
		if *f.p == nil {
			*f.p = new(f.def)
		}
	}
	if spec.FSGroupPolicy == nil {
		spec.FSGroupPolicy = new(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)
	}
	if len(spec.VolumeLifecycleModes) == 0 {
		spec.VolumeLifecycleModes = []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent}
	}
}

func validateCSIDriver(obj runtime.Object) field.ErrorList {
	spec := &obj.(*storagev1.CSIDriver).Spec
	p := field.NewPath("spec")
	var errs field.ErrorList
	// Kubernetes names the attachRequired field "attachedRequired" in errors.
	for _, f := range []struct {
		name string
		v    *bool
	}{
		{"attachedRequired", spec.AttachRequired}, {"podInfoOnMount", spec.PodInfoOnMount},
		{"storageCapacity", spec.StorageCapacity}, {"seLinuxMount", spec.SELinuxMount},
	} {
		if f.v == nil {
			errs = append(errs, field.Required(p.Child(f.name), ""))
		}
	}
	if fp := spec.FSGroupPolicy; fp != nil {
		errs = append(errs, rest.Enum(*fp, p.Child("fsGroupPolicy"), fsGroupPolicies...)...)
	}
	errs = append(errs, validateTokenRequests(spec.TokenRequests, p.Child("tokenRequests"))...)
	for _, m := range spec.VolumeLifecycleModes {
		errs = append(errs, rest.Enum(m, p.Child("volumeLifecycleModes"), lifecycleModes...)...)
	}
	if s := spec.NodeAllocatableUpdatePeriodSeconds; s != nil && *s < 10 {
		errs = append(errs, field.Invalid(p.Child("nodeAllocatableUpdatePeriodSeconds"), *s, "must be greater than or equal to 10 seconds"))
	}
	return errs
}

// validateTokenRequests wants distinct audiences and lifetimes of ten
// minutes to 2^32 seconds.
func validateTokenRequests(trs []storagev1.TokenRequest, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, tr := range trs {
		ip := p.Index(i)
		if seen[tr.Audience] {
			errs = append(errs, field.Duplicate(ip.Child("audience"), tr.Audience))
			continue
		}
		seen[tr.Audience] = true
		switch s := tr.ExpirationSeconds; {
		case s == nil:
		case *s < minTokenSeconds:
			errs = append(errs, field.Invalid(ip.Child("expirationSeconds"), *s, "may not specify a duration less than 10 minutes"))
		case *s > maxTokenSeconds:
			errs = append(errs, field.Invalid(ip.Child("expirationSeconds"), *s, "may not specify a duration larger than 2^32 seconds"))
		}
	}
	return errs
}

// validateCSIDriverUpdate keeps what attached and mounted volumes rely on.
func validateCSIDriverUpdate(obj, old runtime.Object) field.ErrorList {
	spec, o := &obj.(*storagev1.CSIDriver).Spec, &old.(*storagev1.CSIDriver).Spec
	p := field.NewPath("spec")
	errs := apivalidation.ValidateImmutableField(spec.AttachRequired, o.AttachRequired, p.Child("attachedRequired"))
	return append(errs, apivalidation.ValidateImmutableField(spec.VolumeLifecycleModes, o.VolumeLifecycleModes, p.Child("volumeLifecycleModes"))...)
}
