package generic

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Finalizers the API server adds for deletion propagation; the garbage
// collector removes them.
const (
	FinalizerOrphan     = metav1.FinalizerOrphanDependents
	FinalizerForeground = metav1.FinalizerDeleteDependents
)

// Delete removes an object, or marks it terminating when it has
// finalizers or a grace period. gone reports that it left storage now.
func (s *Store) Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions, dryRun bool) (obj runtime.Object, gone bool, err error) {
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	var removed bool
	out, err := s.Storage.Update(ctx, s.key(ns, name), name, func(cur runtime.Object) (runtime.Object, error) {
		next, del, err := s.prepareDelete(ctx, ns, name, cur, opts, dryRun)
		removed = del
		if err != nil {
			return nil, err
		}
		if del {
			obj = cur
			if dryRun {
				return nil, stopWrite{cur}
			}
			return nil, nil
		}
		if dryRun || next == nil {
			return nil, stopWrite{nextOr(next, cur)}
		}
		return next, nil
	})
	if stop, ok := err.(stopWrite); ok {
		return stop.obj, removed && dryRun, nil
	}
	if err != nil {
		return nil, false, err
	}
	if removed {
		if h := s.Hooks.AfterDelete; h != nil {
			h(ctx, obj)
		}
		return obj, true, nil
	}
	return out, false, nil
}

func nextOr(next, cur runtime.Object) runtime.Object {
	if next != nil {
		return next
	}
	return cur
}

// prepareDelete decides between removing cur (del) and writing next, a
// terminating copy; next nil with del false means nothing changes.
func (s *Store) prepareDelete(ctx context.Context, ns, name string, cur runtime.Object, opts *metav1.DeleteOptions, dryRun bool) (next runtime.Object, del bool, err error) {
	cm, err := meta.Accessor(cur)
	if err != nil {
		return nil, false, err
	}
	if err := s.checkPreconditions(name, cm, opts.Preconditions); err != nil {
		return nil, false, err
	}
	if err := s.admit(ctx, Attributes{Operation: Delete, Namespace: ns, Name: name, Old: cur, DryRun: dryRun}, nil); err != nil {
		return nil, false, err
	}
	next = cur.DeepCopyObject()
	m, _ := meta.Accessor(next)
	m.SetFinalizers(propagationFinalizers(m.GetFinalizers(), opts))
	grace := int64(0)
	if s.Hooks.GracePeriod != nil {
		grace = s.Hooks.GracePeriod(cur, opts)
	}
	keep := s.Hooks.KeepOnDelete != nil && s.Hooks.KeepOnDelete(next)
	if len(m.GetFinalizers()) == 0 && grace == 0 && !keep {
		return nil, true, nil
	}
	if !s.markTerminating(m, grace) && equalStrings(m.GetFinalizers(), cm.GetFinalizers()) && !keep {
		return nil, false, nil
	}
	return next, false, nil
}

// markTerminating sets deletionTimestamp, or brings it forward for a
// shorter grace period; false means nothing changed.
func (s *Store) markTerminating(m metav1.Object, grace int64) bool {
	now := s.Now()
	deadline := metav1.NewTime(now.Add(time.Duration(grace) * time.Second))
	if old := m.GetDeletionTimestamp(); old != nil {
		if og := m.GetDeletionGracePeriodSeconds(); og == nil || *og <= grace {
			return false
		}
	}
	m.SetDeletionTimestamp(&deadline)
	m.SetDeletionGracePeriodSeconds(&grace)
	return true
}

func (s *Store) checkPreconditions(name string, cm metav1.Object, p *metav1.Preconditions) error {
	if p == nil {
		return nil
	}
	if p.UID != nil && *p.UID != cm.GetUID() {
		return s.conflict(name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, cm.GetUID()))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != cm.GetResourceVersion() {
		return s.conflict(name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, cm.GetResourceVersion()))
	}
	return nil
}

// propagationFinalizers adds the finalizer the garbage collector needs for
// an orphan or foreground deletion; background needs none.
func propagationFinalizers(fs []string, opts *metav1.DeleteOptions) []string {
	policy := metav1.DeletePropagationBackground
	if opts.PropagationPolicy != nil {
		policy = *opts.PropagationPolicy
	} else if opts.OrphanDependents != nil && *opts.OrphanDependents {
		policy = metav1.DeletePropagationOrphan
	}
	out := make([]string, 0, len(fs)+1)
	for _, f := range fs {
		if f != FinalizerOrphan && f != FinalizerForeground {
			out = append(out, f)
		}
	}
	switch policy {
	case metav1.DeletePropagationOrphan:
		out = append(out, FinalizerOrphan)
	case metav1.DeletePropagationForeground:
		out = append(out, FinalizerForeground)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ValidatePropagation rejects an unknown propagation policy.
func ValidatePropagation(opts *metav1.DeleteOptions) error {
	if opts.PropagationPolicy == nil {
		return nil
	}
	switch *opts.PropagationPolicy {
	case metav1.DeletePropagationBackground, metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan:
		return nil
	}
	return apierrors.NewBadRequest(fmt.Sprintf("propagationPolicy: Unsupported value: %q: supported values: \"Foreground\", \"Background\", \"Orphan\"", *opts.PropagationPolicy))
}
