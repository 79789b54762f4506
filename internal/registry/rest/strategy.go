// Package rest defines the per-resource behaviour the generic API handler
// delegates to: defaulting, create/update preparation, validation, the
// status split and the fields a field selector can match.
package rest

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Strategy is the behaviour of one resource. Objects are the typed
// k8s.io/api structs (pointers). The generic handler calls, on create:
// Default, PrepareForCreate, Validate; on update (PUT or PATCH of the main
// resource): Default, PrepareForUpdate, ValidateUpdate. It sets uid,
// creationTimestamp, resourceVersion and generation=1 on create itself;
// PrepareForUpdate decides whether generation is bumped.
type Strategy interface {
	// Default fills unset fields the way Kubernetes' defaulters do.
	Default(obj runtime.Object)
	// PrepareForCreate clears what a client may not set on create (status
	// for most kinds) and fills server-owned initial state (pod phase Pending).
	PrepareForCreate(obj runtime.Object)
	// PrepareForUpdate keeps the old status on a main-resource update and
	// bumps metadata.generation when the spec changed.
	PrepareForUpdate(obj, old runtime.Object)
	// Validate checks a new object, metadata included.
	Validate(obj runtime.Object) field.ErrorList
	// ValidateUpdate checks an update, immutable fields included.
	ValidateUpdate(obj, old runtime.Object) field.ErrorList
}

// StatusStrategy is implemented by resources with a status subresource.
type StatusStrategy interface {
	// PrepareForStatusUpdate keeps everything of old except the status
	// (and what Kubernetes lets a status writer change, such as pod conditions).
	PrepareForStatusUpdate(obj, old runtime.Object)
	// ValidateStatusUpdate checks a status update.
	ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList
}

// ApprovalStrategy is implemented by resources with an approval
// subresource (CertificateSigningRequests).
type ApprovalStrategy interface {
	// PrepareForApprovalUpdate keeps everything of old except what an
	// approver may change.
	PrepareForApprovalUpdate(obj, old runtime.Object)
	// ValidateApprovalUpdate checks an approval update.
	ValidateApprovalUpdate(obj, old runtime.Object) field.ErrorList
}

// FieldsStrategy is implemented by resources whose field selectors can
// match more than metadata.name and metadata.namespace.
type FieldsStrategy interface {
	// SelectableFields returns every field a field selector may name,
	// metadata.name and metadata.namespace included.
	SelectableFields(obj runtime.Object) fields.Set
}

// Strategies maps the plural resource names of one API group to their strategy.
type Strategies map[string]Strategy
