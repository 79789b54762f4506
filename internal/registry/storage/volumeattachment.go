package storage

import (
	"math"

	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

const (
	maxAttachMetadataSize = 256 << 10
	maxVolumeErrorMessage = 1024
)

// attachmentStrategy serves VolumeAttachments: the spec is written once
// by the attach/detach controller, the status by the external attacher
// through /status.
type attachmentStrategy struct{ rest.Simple }

func volumeAttachmentStrategy() attachmentStrategy {
	return attachmentStrategy{rest.Simple{ValidateFn: validateAttachment, ValidateUpdateFn: validateAttachmentUpdate}}
}

func (attachmentStrategy) PrepareForCreate(obj runtime.Object) {
	obj.(*storagev1.VolumeAttachment).Status = storagev1.VolumeAttachmentStatus{}
}

func (attachmentStrategy) PrepareForUpdate(obj, old runtime.Object) {
	obj.(*storagev1.VolumeAttachment).Status = old.(*storagev1.VolumeAttachment).Status
}

func (attachmentStrategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	obj.(*storagev1.VolumeAttachment).Spec = old.(*storagev1.VolumeAttachment).Spec
}

func (s attachmentStrategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return s.ValidateUpdate(obj, old)
}

func validateAttachment(obj runtime.Object) field.ErrorList {
	va := obj.(*storagev1.VolumeAttachment)
	p := field.NewPath("spec")
	errs := validateDriverName(va.Spec.Attacher, p.Child("attacher"))
	errs = append(errs, validateAttachmentSource(&va.Spec.Source, p.Child("source"))...)
	for _, msg := range apivalidation.NameIsDNSSubdomain(va.Spec.NodeName, false) {
		errs = append(errs, field.Invalid(p.Child("nodeName"), va.Spec.NodeName, msg))
	}
	return append(errs, validateAttachmentStatus(&va.Status, field.NewPath("status"))...)
}

// validateAttachmentSource wants exactly one of a PersistentVolume name
// and an inline volume.
func validateAttachmentSource(src *storagev1.VolumeAttachmentSource, p *field.Path) field.ErrorList {
	const one = "must specify exactly one of inlineVolumeSpec and persistentVolumeName"
	switch pv := src.PersistentVolumeName; {
	case src.InlineVolumeSpec == nil && pv == nil:
		return field.ErrorList{field.Required(p, one)}
	case src.InlineVolumeSpec != nil && pv != nil:
		return field.ErrorList{field.Forbidden(p, one)}
	case pv != nil && *pv == "":
		return field.ErrorList{field.Required(p.Child("persistentVolumeName"), "must specify non empty persistentVolumeName")}
	case pv != nil:
		var errs field.ErrorList
		for _, msg := range apivalidation.NameIsDNSSubdomain(*pv, false) {
			errs = append(errs, field.Invalid(p.Child("persistentVolumeName"), *pv, msg))
		}
		return errs
	}
	return nil
}

func validateAttachmentStatus(st *storagev1.VolumeAttachmentStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for k, v := range st.AttachmentMetadata {
		size += len(k) + len(v)
	}
	if size > maxAttachMetadataSize {
		errs = append(errs, field.TooLong(p.Child("attachmentMetadata"), "", maxAttachMetadataSize))
	}
	errs = append(errs, validateVolumeError(st.AttachError, p.Child("attachError"))...)
	return append(errs, validateVolumeError(st.DetachError, p.Child("detachError"))...)
}

func validateVolumeError(e *storagev1.VolumeError, p *field.Path) field.ErrorList {
	if e == nil {
		return nil
	}
	var errs field.ErrorList
	if len(e.Message) > maxVolumeErrorMessage {
		errs = append(errs, field.TooLong(p.Child("message"), "", maxVolumeErrorMessage))
	}
	if e.ErrorCode != nil && *e.ErrorCode < 0 {
		errs = append(errs, field.Invalid(p.Child("errorCode"), *e.ErrorCode, utilvalidation.InclusiveRangeError(0, math.MaxInt32)))
	}
	return errs
}

// validateAttachmentUpdate keeps the spec: what is attached where.
func validateAttachmentUpdate(obj, old runtime.Object) field.ErrorList {
	va, o := obj.(*storagev1.VolumeAttachment), old.(*storagev1.VolumeAttachment)
	if !apiequality.Semantic.DeepEqual(va.Spec, o.Spec) {
		return field.ErrorList{field.Invalid(field.NewPath("spec"), va.Spec, "field is immutable")}
	}
	return nil
}
