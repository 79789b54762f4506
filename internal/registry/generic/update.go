package generic

import (
	"context"
	"errors"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Mutator returns the desired object given the current one (nil when the
// object does not exist). It must return a new object, never cur itself.
type Mutator func(cur runtime.Object) (runtime.Object, error)

// stopWrite ends a storage update loop without writing, handing back obj.
type stopWrite struct{ obj runtime.Object }

func (stopWrite) Error() string { return "no write" }

// Update replaces an object (or its status, with subresource "status")
// with what mutate returns. created reports a create through PUT.
func (s *Store) Update(ctx context.Context, ns, name, subresource string, mutate Mutator, dryRun bool) (runtime.Object, bool, error) {
	key := s.key(ns, name)
	var cached runtime.Object
	if s.Cache != nil {
		cached, _ = s.Cache.Get(key)
	}
	out, err := s.Storage.UpdateFrom(ctx, key, name, cached, func(cur runtime.Object) (runtime.Object, error) {
		return s.prepareUpdate(ctx, ns, name, subresource, cur, mutate, dryRun)
	})
	var stop stopWrite
	switch {
	case errors.As(err, &stop):
		return stop.obj, false, nil
	case apierrors.IsNotFound(err) && s.Resource.CreateOnUpdate && subresource == "":
		obj, err := mutate(nil)
		if err != nil {
			return nil, false, err
		}
		created, err := s.Create(ctx, ns, obj, dryRun)
		return created, err == nil, err
	case err != nil:
		return nil, false, err
	}
	if out == nil {
		return nil, false, apierrors.NewNotFound(s.GroupResource(), name)
	}
	return out, false, nil
}

func (s *Store) prepareUpdate(ctx context.Context, ns, name, sub string, cur runtime.Object, mutate Mutator, dryRun bool) (runtime.Object, error) {
	obj, err := mutate(cur)
	if err != nil {
		return nil, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	cm, _ := meta.Accessor(cur)
	if err := s.checkUpdateMeta(m, cm, ns, name); err != nil {
		return nil, err
	}
	prepare := func() field.ErrorList { return s.prepareAndValidate(sub, obj, cur) }
	if errs := prepare(); len(errs) > 0 {
		return nil, apierrors.NewInvalid(s.Resource.GVK().GroupKind(), name, errs)
	}
	if err := s.admit(ctx, Attributes{Operation: Update, Subresource: sub, Namespace: ns, Name: name, Object: obj, Old: cur, DryRun: dryRun}, prepare); err != nil {
		return nil, err
	}
	if h := s.Hooks.BeforeUpdate; h != nil {
		if err := h(ctx, obj, cur, dryRun); err != nil {
			return nil, err
		}
	}
	switch {
	case s.finishedDeleting(m, obj):
		if dryRun {
			return nil, stopWrite{obj}
		}
		return nil, nil
	case dryRun:
		return nil, stopWrite{obj}
	// A binding always sets the empty spec.nodeName, so it is never a
	// no-op, and comparing whole pods costs more than the rest of it.
	case sub != "binding" && apiequality.Semantic.DeepEqual(obj, cur):
		// Kubernetes skips no-op writes: the resourceVersion stays.
		return nil, stopWrite{cur}
	}
	return obj, nil
}

// checkUpdateMeta enforces the URL's name, optimistic concurrency and the
// metadata only the server owns.
func (s *Store) checkUpdateMeta(m, cm metav1.Object, ns, name string) error {
	if m.GetName() != name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), name))
	}
	if err := s.checkNamespace(m, ns); err != nil {
		return err
	}
	if rv := m.GetResourceVersion(); rv != "" && rv != cm.GetResourceVersion() {
		return s.Conflict(name)
	}
	if uid := m.GetUID(); uid != "" && uid != cm.GetUID() {
		return s.conflict(name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", cm.GetUID(), uid))
	}
	// An update without a resourceVersion (PUT without one, scale,
	// binding) is unconditional: it applies to the current object.
	m.SetResourceVersion(cm.GetResourceVersion())
	m.SetUID(cm.GetUID())
	m.SetCreationTimestamp(cm.GetCreationTimestamp())
	m.SetDeletionTimestamp(cm.GetDeletionTimestamp())
	m.SetDeletionGracePeriodSeconds(cm.GetDeletionGracePeriodSeconds())
	m.SetGeneration(cm.GetGeneration())
	m.SetSelfLink("")
	if cm.GetDeletionTimestamp() != nil && hasNewFinalizer(m.GetFinalizers(), cm.GetFinalizers()) {
		return apierrors.NewForbidden(s.GroupResource(), name, errors.New("no new finalizers can be added if the object is being deleted"))
	}
	return nil
}

const registryConflictMsg = "the object has been modified; please apply your changes to the latest version and try again"

// Conflict is the 409 for an update based on a stale resourceVersion.
func (s *Store) Conflict(name string) error {
	return s.conflict(name, errors.New(registryConflictMsg))
}

func (s *Store) conflict(name string, err error) error {
	return apierrors.NewConflict(s.GroupResource(), name, err)
}

func hasNewFinalizer(next, old []string) bool {
	have := map[string]bool{}
	for _, f := range old {
		have[f] = true
	}
	for _, f := range next {
		if !have[f] {
			return true
		}
	}
	return false
}

func (s *Store) prepareAndValidate(sub string, obj, cur runtime.Object) field.ErrorList {
	switch sub {
	case "":
		s.Strategy.Default(obj)
		s.Strategy.PrepareForUpdate(obj, cur)
		return s.Strategy.ValidateUpdate(obj, cur)
	case "status":
		ss, ok := s.Strategy.(rest.StatusStrategy)
		if !ok {
			return field.ErrorList{field.InternalError(field.NewPath("status"), fmt.Errorf("%s has no status subresource", s.Resource.Resource))}
		}
		ss.PrepareForStatusUpdate(obj, cur)
		return ss.ValidateStatusUpdate(obj, cur)
	case "approval":
		as, ok := s.Strategy.(rest.ApprovalStrategy)
		if !ok {
			return field.ErrorList{field.InternalError(field.NewPath("status"), fmt.Errorf("%s has no approval subresource", s.Resource.Resource))}
		}
		as.PrepareForApprovalUpdate(obj, cur)
		return as.ValidateApprovalUpdate(obj, cur)
	}
	return nil
}

// finishedDeleting reports whether an update leaves a terminating object
// with nothing to wait for, so that it is removed instead of written.
func (s *Store) finishedDeleting(m metav1.Object, obj runtime.Object) bool {
	if m.GetDeletionTimestamp() == nil || len(m.GetFinalizers()) > 0 {
		return false
	}
	if g := m.GetDeletionGracePeriodSeconds(); g != nil && *g > 0 {
		return false
	}
	return s.Hooks.KeepOnDelete == nil || !s.Hooks.KeepOnDelete(obj)
}
