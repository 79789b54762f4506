// Package generic implements the REST semantics every resource shares on
// top of storage: create with generated names and server-owned metadata,
// optimistic-concurrency updates, status and main-resource split, graceful
// deletion, finalizers and deletion propagation.
package generic

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/storage"
)

// Operation names what an admission hook is asked about.
type Operation string

// The operations admission sees, named as in Kubernetes.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// Attributes describe a write for admission.
type Attributes struct {
	Operation   Operation
	Resource    registry.Resource
	Subresource string
	Namespace   string
	Name        string
	Object      runtime.Object // nil on delete
	Old         runtime.Object // nil on create
	DryRun      bool
	// Mutated is set by a plugin that changed Object in ways the
	// strategy has not checked (a webhook's patch): the store defaults and
	// validates it again before validating admission.
	Mutated bool
}

// Admission mutates and validates writes before they are stored.
type Admission interface {
	Admit(ctx context.Context, a *Attributes) error
}

// ValidatingAdmission is implemented by admission that must see the
// final object: it runs after Admit and the strategy's second look at a
// mutated object, as Kubernetes runs validating after mutating admission.
type ValidatingAdmission interface {
	Validate(ctx context.Context, a *Attributes) error
}

// Hooks let a resource own side effects of its writes, such as the IP and
// port allocations of a Service. Each may be nil.
type Hooks struct {
	// BeforeCreate runs after validation; it may change obj. If the store
	// write then fails, AfterDelete undoes it.
	BeforeCreate func(ctx context.Context, obj runtime.Object, dryRun bool) error
	// BeforeUpdate runs after validation of an update.
	BeforeUpdate func(ctx context.Context, obj, old runtime.Object, dryRun bool) error
	// AfterDelete runs once an object is gone from storage.
	AfterDelete func(ctx context.Context, obj runtime.Object)
	// KeepOnDelete reports whether an object being deleted must stay until
	// something else finalizes it (a namespace with spec.finalizers); it
	// may mark obj as terminating.
	KeepOnDelete func(obj runtime.Object) bool
	// GracePeriod returns how many seconds an object may take to terminate
	// (pods); nil means objects go at once.
	GracePeriod func(obj runtime.Object, opts *metav1.DeleteOptions) int64
}

// Store serves one resource.
type Store struct {
	Resource  registry.Resource
	Strategy  rest.Strategy
	Storage   *storage.Store
	Cache     *storage.Cache
	Admission Admission
	Hooks     Hooks
	NewFunc   func() runtime.Object
	NewList   func() runtime.Object
	Now       func() time.Time
	// ReturnDeletedObject answers a delete with the object instead of a
	// Status, as Kubernetes does for pods.
	ReturnDeletedObject bool
}

// GroupResource is the qualified name used in errors.
func (s *Store) GroupResource() schema.GroupResource { return s.Resource.GroupResource() }

func (s *Store) key(ns, name string) string { return s.Storage.Key(ns, name) }

// admit runs mutating admission, revalidate when it changed the object,
// then validating admission.
func (s *Store) admit(ctx context.Context, a Attributes, revalidate func() field.ErrorList) error {
	if s.Admission == nil {
		return nil
	}
	a.Resource = s.Resource
	if err := s.Admission.Admit(ctx, &a); err != nil {
		return err
	}
	if a.Mutated && revalidate != nil {
		if errs := revalidate(); len(errs) > 0 {
			return apierrors.NewInvalid(s.Resource.GVK().GroupKind(), a.Name, errs)
		}
	}
	if v, ok := s.Admission.(ValidatingAdmission); ok {
		return v.Validate(ctx, &a)
	}
	return nil
}

// Create stores a new object. ns is the namespace of the request path.
func (s *Store) Create(ctx context.Context, ns string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if err := s.checkNamespace(m, ns); err != nil {
		return nil, err
	}
	if m.GetResourceVersion() != "" {
		return nil, apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
	}
	generated := m.GetName() == "" && m.GetGenerateName() != ""
	if generated {
		m.SetName(m.GetGenerateName() + utilrand.String(5))
	}
	s.fillCreateMeta(m)
	prepare := func() field.ErrorList {
		s.Strategy.Default(obj)
		s.Strategy.PrepareForCreate(obj)
		return s.Strategy.Validate(obj)
	}
	if errs := prepare(); len(errs) > 0 {
		return nil, apierrors.NewInvalid(s.Resource.GVK().GroupKind(), m.GetName(), errs)
	}
	if err := s.admit(ctx, Attributes{Operation: Create, Namespace: ns, Name: m.GetName(), Object: obj, DryRun: dryRun}, prepare); err != nil {
		return nil, err
	}
	if h := s.Hooks.BeforeCreate; h != nil {
		if err := h(ctx, obj, dryRun); err != nil {
			return nil, err
		}
	}
	if dryRun {
		return obj, nil
	}
	out, err := s.Storage.Create(ctx, s.key(ns, m.GetName()), obj)
	// A generated name can collide; draw again as Kubernetes does.
	for try := 0; generated && apierrors.IsAlreadyExists(err) && try < 8; try++ {
		m.SetName(m.GetGenerateName() + utilrand.String(5))
		out, err = s.Storage.Create(ctx, s.key(ns, m.GetName()), obj)
	}
	if err != nil {
		if h := s.Hooks.AfterDelete; h != nil {
			h(ctx, obj)
		}
		return nil, err
	}
	return out, nil
}

func (s *Store) fillCreateMeta(m metav1.Object) {
	m.SetUID(types.UID(uuid.NewString()))
	m.SetCreationTimestamp(metav1.NewTime(s.Now().Truncate(time.Second)))
	if g, ok := s.Strategy.(rest.Generational); !ok || g.Generational() {
		m.SetGeneration(1)
	}
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	m.SetSelfLink("")
}

// checkNamespace makes the object's namespace agree with the path's.
func (s *Store) checkNamespace(m metav1.Object, ns string) error {
	if !s.Resource.Namespaced {
		m.SetNamespace("")
		return nil
	}
	switch m.GetNamespace() {
	case "":
		m.SetNamespace(ns)
	case ns:
	default:
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return nil
}

// Get reads one object. resourceVersion "0" may be served from the cache;
// anything else is a consistent read.
func (s *Store) Get(ctx context.Context, ns, name, resourceVersion string) (runtime.Object, error) {
	if resourceVersion == "0" && s.Cache != nil {
		if obj, _ := s.Cache.Get(s.key(ns, name)); obj != nil {
			return obj, nil
		}
		return nil, apierrors.NewNotFound(s.GroupResource(), name)
	}
	return s.Storage.Get(ctx, s.key(ns, name), name)
}

// ListOptions select what List returns.
type ListOptions struct {
	ResourceVersion      string
	ResourceVersionMatch metav1.ResourceVersionMatch
	Limit                int64
	Continue             string
	Label                labels.Selector
	Field                fields.Selector
}

// Predicate returns the storage predicate for label and field selectors.
func (s *Store) Predicate(label labels.Selector, field fields.Selector) storage.Predicate {
	return storage.Predicate{Label: label, Field: field, GetAttrs: s.attrs}
}

func (s *Store) attrs(obj runtime.Object) (labels.Set, fields.Set) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil
	}
	if fs, ok := s.Strategy.(rest.FieldsStrategy); ok {
		return m.GetLabels(), fs.SelectableFields(obj)
	}
	set := fields.Set{"metadata.name": m.GetName()}
	if s.Resource.Namespaced {
		set["metadata.namespace"] = m.GetNamespace()
	}
	return m.GetLabels(), set
}

func parseRV(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	var n int64
	if _, err := fmt.Sscanf(rv, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != rv {
		return 0, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", rv))
	}
	return n, nil
}
