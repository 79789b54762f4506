package storage

import (
	"fmt"

	storagev1 "k8s.io/api/storage/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// maxNodeIDLength is the longest CSI node ID Kubernetes accepts.
const maxNodeIDLength = 192

func csiNodeStrategy() rest.Simple {
	return rest.Simple{ValidateFn: validateCSINode, ValidateUpdateFn: validateCSINodeUpdate}
}

func validateCSINode(obj runtime.Object) field.ErrorList {
	p := field.NewPath("spec", "drivers")
	var errs field.ErrorList
	names := map[string]bool{}
	for i, d := range obj.(*storagev1.CSINode).Spec.Drivers {
		ip := p.Index(i)
		errs = append(errs, validateDriverName(d.Name, ip.Child("name"))...)
		if names[d.Name] {
			errs = append(errs, field.Duplicate(ip.Child("name"), d.Name))
		}
		names[d.Name] = true
		errs = append(errs, validateNodeID(d.NodeID, ip.Child("nodeID"))...)
		if a := d.Allocatable; a != nil && a.Count != nil {
			errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*a.Count), ip.Child("allocatable", "count"))...)
		}
		errs = append(errs, validateTopologyKeys(d.TopologyKeys, ip)...)
	}
	return errs
}

// validateDriverName wants a DNS subdomain, as CSIDriver names.
func validateDriverName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range apivalidation.NameIsDNSSubdomain(name, false) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func validateNodeID(id string, p *field.Path) field.ErrorList {
	switch {
	case id == "":
		return field.ErrorList{field.Required(p, "")}
	case len(id) > maxNodeIDLength:
		return field.ErrorList{field.Invalid(p, id, fmt.Sprintf("must be %d characters or less", maxNodeIDLength))}
	}
	return nil
}

// validateTopologyKeys reports at the driver's path, as Kubernetes does.
func validateTopologyKeys(keys []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			errs = append(errs, field.Duplicate(p, k))
		}
		seen[k] = true
		for _, msg := range utilvalidation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p, k, msg))
		}
	}
	return errs
}

// validateCSINodeUpdate lets drivers come and go but not change.
func validateCSINodeUpdate(obj, old runtime.Object) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec", "drivers")
	for _, o := range old.(*storagev1.CSINode).Spec.Drivers {
		for _, d := range obj.(*storagev1.CSINode).Spec.Drivers {
			if d.Name == o.Name {
				errs = append(errs, apivalidation.ValidateImmutableField(d, o, p)...)
			}
		}
	}
	return errs
}
