package garbagecollector

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

func (c *Controller) process(ctx context.Context, it item) error {
	obj, err := c.lookup(ctx, it, false)
	if err != nil || obj == nil {
		return err
	}
	if obj.DeletionTimestamp != nil {
		switch {
		case slices.Contains(obj.Finalizers, metav1.FinalizerOrphanDependents):
			return c.orphan(ctx, it)
		case slices.Contains(obj.Finalizers, metav1.FinalizerDeleteDependents):
			return c.foreground(ctx, it)
		}
		return nil
	}
	if len(obj.OwnerReferences) == 0 {
		return nil
	}
	return c.checkOwners(ctx, it, obj)
}

// lookup returns the object it names from the cache or, when the cache
// does not have it (live also when asked), the API server; nil when it
// does not exist with that UID.
func (c *Controller) lookup(ctx context.Context, it item, live bool) (*metav1.PartialObjectMetadata, error) {
	if inf := c.informer(it.gvr); inf != nil && !live {
		key := it.name
		if it.namespace != "" {
			key = it.namespace + "/" + it.name
		}
		o, ok, _ := inf.GetIndexer().GetByKey(key)
		if m := asMeta(o); ok && m != nil && m.UID == it.uid {
			return m, nil
		}
	}
	u, err := c.dynamic.Resource(it.gvr).Namespace(it.namespace).Get(ctx, it.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if it.uid != "" && u.GetUID() != it.uid {
		return nil, nil
	}
	m, _ := toMeta(u)
	return m.(*metav1.PartialObjectMetadata), nil
}

// checkOwners deletes obj when none of its owners is left, or drops its
// references to owners that are gone when others remain.
func (c *Controller) checkOwners(ctx context.Context, it item, obj *metav1.PartialObjectMetadata) error {
	var solid, dangling, waiting []metav1.OwnerReference
	for _, ref := range obj.OwnerReferences {
		owner, ok := c.resolve(ref, obj.Namespace)
		if !ok {
			// An owner of a kind we cannot look up keeps its dependent.
			solid = append(solid, ref)
			continue
		}
		o, err := c.lookup(ctx, owner, false)
		if err != nil {
			return err
		}
		switch {
		case o == nil:
			dangling = append(dangling, ref)
		case o.DeletionTimestamp != nil && slices.Contains(o.Finalizers, metav1.FinalizerDeleteDependents):
			waiting = append(waiting, ref)
		default:
			solid = append(solid, ref)
		}
	}
	switch {
	case len(solid) > 0:
		if len(dangling)+len(waiting) == 0 {
			return nil
		}
		if err := c.removeRefs(ctx, it, append(dangling, waiting...)); err != nil {
			return err
		}
		c.requeueOwners(obj.Namespace, waiting)
		return nil
	case len(waiting) > 0:
		// Delete in the foreground too when obj has dependents of its
		// own, so that the owner waits for the whole chain.
		if len(c.dependents(it.uid)) > 0 {
			return c.delete(ctx, it, metav1.DeletePropagationForeground)
		}
		return c.delete(ctx, it, metav1.DeletePropagationBackground)
	}
	// Every owner is gone; the cache may lag, so ask the API server.
	for _, ref := range dangling {
		owner, _ := c.resolve(ref, obj.Namespace)
		if o, err := c.lookup(ctx, owner, true); err != nil || o != nil {
			return err
		}
	}
	switch {
	case slices.Contains(obj.Finalizers, metav1.FinalizerOrphanDependents):
		return c.delete(ctx, it, metav1.DeletePropagationOrphan)
	case slices.Contains(obj.Finalizers, metav1.FinalizerDeleteDependents):
		return c.delete(ctx, it, metav1.DeletePropagationForeground)
	}
	return c.delete(ctx, it, metav1.DeletePropagationBackground)
}

func (c *Controller) requeueOwners(ns string, refs []metav1.OwnerReference) {
	for _, ref := range refs {
		if owner, ok := c.resolve(ref, ns); ok {
			c.queue.Add(owner)
		}
	}
}

func (c *Controller) delete(ctx context.Context, it item, policy metav1.DeletionPropagation) error {
	uid := it.uid
	err := c.dynamic.Resource(it.gvr).Namespace(it.namespace).Delete(ctx, it.name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err == nil {
		c.metrics.deleted.Inc()
	}
	return err
}

// foreground deletes the dependents of an owner in foreground deletion
// and removes its finalizer once no blocking dependent is left.
func (c *Controller) foreground(ctx context.Context, it item) error {
	blocking := 0
	for _, d := range c.dependents(it.uid) {
		dep, err := c.lookup(ctx, d, false)
		if err != nil {
			return err
		}
		if dep == nil {
			continue
		}
		if dep.DeletionTimestamp == nil {
			c.queue.Add(d)
		}
		for _, ref := range dep.OwnerReferences {
			if ref.UID == it.uid && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				blocking++
			}
		}
	}
	if blocking > 0 {
		return nil
	}
	return c.removeFinalizer(ctx, it, metav1.FinalizerDeleteDependents)
}

// orphan removes the references to an orphaning owner from its
// dependents, then its finalizer.
func (c *Controller) orphan(ctx context.Context, it item) error {
	var errs []error
	for _, d := range c.dependents(it.uid) {
		err := c.removeRefs(ctx, d, []metav1.OwnerReference{{UID: it.uid}})
		if err == nil {
			c.metrics.orphaned.Inc()
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.removeFinalizer(ctx, it, metav1.FinalizerOrphanDependents)
}

// metaPatch is a JSON merge patch of ownerReferences or finalizers,
// guarded by uid and resourceVersion.
type metaPatch struct {
	Metadata struct {
		UID             types.UID                `json:"uid"`
		ResourceVersion string                   `json:"resourceVersion"`
		OwnerReferences *[]metav1.OwnerReference `json:"ownerReferences,omitempty"`
		Finalizers      *[]string                `json:"finalizers,omitempty"`
	} `json:"metadata"`
}

// update rereads the object and patches what change returns; change
// returns false when there is nothing to do.
func (c *Controller) update(ctx context.Context, it item, change func(m *metav1.PartialObjectMetadata, p *metaPatch) bool) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		m, err := c.lookup(ctx, it, true)
		if err != nil || m == nil {
			return err
		}
		var p metaPatch
		p.Metadata.UID, p.Metadata.ResourceVersion = m.UID, m.ResourceVersion
		if !change(m, &p) {
			return nil
		}
		data, err := json.Marshal(p)
		if err != nil {
			return err
		}
		_, err = c.dynamic.Resource(it.gvr).Namespace(it.namespace).Patch(ctx, it.name, types.MergePatchType, data, metav1.PatchOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

func (c *Controller) removeRefs(ctx context.Context, it item, drop []metav1.OwnerReference) error {
	return c.update(ctx, it, func(m *metav1.PartialObjectMetadata, p *metaPatch) bool {
		keep := slices.DeleteFunc(slices.Clone(m.OwnerReferences), func(r metav1.OwnerReference) bool {
			return slices.ContainsFunc(drop, func(d metav1.OwnerReference) bool { return d.UID == r.UID })
		})
		if len(keep) == len(m.OwnerReferences) {
			return false
		}
		if keep == nil {
			keep = []metav1.OwnerReference{}
		}
		p.Metadata.OwnerReferences = &keep
		return true
	})
}

func (c *Controller) removeFinalizer(ctx context.Context, it item, f string) error {
	return c.update(ctx, it, func(m *metav1.PartialObjectMetadata, p *metaPatch) bool {
		if !slices.Contains(m.Finalizers, f) {
			return false
		}
		keep := slices.DeleteFunc(slices.Clone(m.Finalizers), func(s string) bool { return s == f })
		if keep == nil {
			keep = []string{}
		}
		p.Metadata.Finalizers = &keep
		return true
	})
}
