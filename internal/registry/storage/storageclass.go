// Package storage holds the strategies of storage.k8s.io.
package storage

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

const (
	maxParameters    = 512
	maxParameterSize = 256 << 10
)

var (
	reclaimPolicies = []corev1.PersistentVolumeReclaimPolicy{corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain}
	bindingModes    = []storagev1.VolumeBindingMode{storagev1.VolumeBindingImmediate, storagev1.VolumeBindingWaitForFirstConsumer}
)

// Strategies returns the strategies of storage.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"storageclasses": rest.Simple{
			DefaultFn:        defaultClass,
			ValidateFn:       validateClass,
			ValidateUpdateFn: validateClassUpdate,
		},
		"csidrivers":           csiDriverStrategy(),
		"csinodes":             csiNodeStrategy(),
		"csistoragecapacities": capacityStrategy(),
		"volumeattachments":    volumeAttachmentStrategy(),
	}
}

func defaultClass(obj runtime.Object) {
	sc := obj.(*storagev1.StorageClass)
	if sc.ReclaimPolicy == nil {
		sc.ReclaimPolicy = new(corev1.PersistentVolumeReclaimDelete)
	}
	if sc.VolumeBindingMode == nil {
		sc.VolumeBindingMode = new(storagev1.VolumeBindingImmediate)
	}
}

func validateClass(obj runtime.Object) field.ErrorList {
	sc := obj.(*storagev1.StorageClass)
	errs := validateProvisioner(sc.Provisioner, field.NewPath("provisioner"))
	errs = append(errs, validateParameters(sc.Parameters, field.NewPath("parameters"))...)
	if p := sc.ReclaimPolicy; p != nil && !slices.Contains(reclaimPolicies, *p) {
		errs = append(errs, field.NotSupported(field.NewPath("reclaimPolicy"), *p, reclaimPolicies))
	}
	switch m, p := sc.VolumeBindingMode, field.NewPath("volumeBindingMode"); {
	case m == nil:
		errs = append(errs, field.Required(p, ""))
	case !slices.Contains(bindingModes, *m):
		errs = append(errs, field.NotSupported(p, *m, bindingModes))
	}
	return append(errs, validateTopologies(sc.AllowedTopologies, field.NewPath("allowedTopologies"))...)
}

// validateProvisioner wants a qualified name; Kubernetes ignores case.
func validateProvisioner(prov string, p *field.Path) field.ErrorList {
	if prov == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsQualifiedName(strings.ToLower(prov)) {
		errs = append(errs, field.Invalid(p, prov, msg))
	}
	return errs
}

func validateParameters(params map[string]string, p *field.Path) field.ErrorList {
	if len(params) > maxParameters {
		return field.ErrorList{field.TooMany(p, len(params), maxParameters)}
	}
	var errs field.ErrorList
	size := 0
	for k, v := range params {
		if k == "" {
			errs = append(errs, field.Invalid(p, k, "field can not be empty."))
		}
		size += len(k) + len(v)
	}
	if size > maxParameterSize {
		errs = append(errs, field.TooLong(p, "", maxParameterSize))
	}
	return errs
}

func validateTopologies(terms []corev1.TopologySelectorTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, term := range terms {
		ep := p.Index(i).Child("matchLabelExpressions")
		keys := map[string]bool{}
		for j, req := range term.MatchLabelExpressions {
			errs = append(errs, validateTopologyRequirement(req, ep.Index(j))...)
			if keys[req.Key] {
				errs = append(errs, field.Duplicate(ep.Index(j).Child("key"), req.Key))
			}
			keys[req.Key] = true
		}
	}
	return errs
}

func validateTopologyRequirement(req corev1.TopologySelectorLabelRequirement, p *field.Path) field.ErrorList {
	errs := metavalidation.ValidateLabelName(req.Key, p.Child("key"))
	if len(req.Values) == 0 {
		errs = append(errs, field.Required(p.Child("values"), ""))
	}
	seen := map[string]bool{}
	for i, v := range req.Values {
		if seen[v] {
			errs = append(errs, field.Duplicate(p.Child("values").Index(i), v))
		}
		seen[v] = true
	}
	return errs
}

// validateClassUpdate keeps what provisioned volumes already rely on.
func validateClassUpdate(obj, old runtime.Object) field.ErrorList {
	sc, o := obj.(*storagev1.StorageClass), old.(*storagev1.StorageClass)
	var errs field.ErrorList
	for _, f := range []struct {
		name     string
		new, old any
	}{
		{"parameters", sc.Parameters, o.Parameters},
		{"provisioner", sc.Provisioner, o.Provisioner},
		{"reclaimPolicy", sc.ReclaimPolicy, o.ReclaimPolicy},
		{"volumeBindingMode", sc.VolumeBindingMode, o.VolumeBindingMode},
	} {
		errs = append(errs, apivalidation.ValidateImmutableField(f.new, f.old, field.NewPath(f.name))...)
	}
	return errs
}
