package storage

import (
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

func capacityStrategy() rest.Simple {
	return rest.Simple{Namespaced: true, ValidateFn: validateCapacity, ValidateUpdateFn: validateCapacityUpdate}
}

func validateCapacity(obj runtime.Object) field.ErrorList {
	c := obj.(*storagev1.CSIStorageCapacity)
	errs := metavalidation.ValidateLabelSelector(c.NodeTopology, metavalidation.LabelSelectorValidationOptions{}, field.NewPath("nodeTopology"))
	for _, msg := range apivalidation.NameIsDNSSubdomain(c.StorageClassName, false) {
		errs = append(errs, field.Invalid(field.NewPath("storageClassName"), c.StorageClassName, msg))
	}
	if c.Capacity != nil {
		errs = append(errs, podspec.ValidateQuantity(*c.Capacity, field.NewPath("capacity"))...)
	}
	return errs
}

// validateCapacityUpdate keeps the inputs of the CSI GetCapacity call
// the object answers.
func validateCapacityUpdate(obj, old runtime.Object) field.ErrorList {
	c, o := obj.(*storagev1.CSIStorageCapacity), old.(*storagev1.CSIStorageCapacity)
	var errs field.ErrorList
	if !apiequality.Semantic.DeepEqual(c.NodeTopology, o.NodeTopology) {
		errs = append(errs, field.Invalid(field.NewPath("nodeTopology"), c.NodeTopology, "field is immutable"))
	}
	if c.StorageClassName != o.StorageClassName {
		errs = append(errs, field.Invalid(field.NewPath("storageClassName"), c.StorageClassName, "field is immutable"))
	}
	return errs
}
