package crd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/storage"
)

// Finalizer keeps a definition until its objects are deleted.
const Finalizer = "customresourcecleanup.apiextensions.k8s.io"

// Registry is the API server's set of served resources.
type Registry interface {
	AddStores(stores ...*generic.Store)
	RemoveResources(gvrs ...schema.GroupVersionResource)
}

// Controller serves the resources of every CustomResourceDefinition:
// it accepts their names, sets the NamesAccepted and Established
// conditions, builds a store with its own watch cache per served version,
// and on deletion removes every object before letting the definition go.
type Controller struct {
	CRDs      *generic.Store
	Client    *clientv3.Client
	CacheSize int
	Admission generic.Admission
	Metrics   *storage.Metrics
	Registry  Registry
	// Builtin lists the resources served without definitions; their names
	// are not accepted.
	Builtin []registry.Resource
	Log     *slog.Logger

	mu     sync.Mutex
	served map[string]*served // by definition name
}

// served is what one definition serves.
type served struct {
	generation  int64
	stores      []*generic.Store
	cancel      context.CancelFunc
	terminating *atomic.Bool
}

// Sync serves every definition stored now; the server calls it before it
// reports ready.
func (c *Controller) Sync(ctx context.Context) error {
	list, err := c.CRDs.List(ctx, "", generic.ListOptions{Label: labels.Everything()})
	if err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	crds := make([]*apiextensionsv1.CustomResourceDefinition, len(items))
	for i, it := range items {
		crds[i] = it.(*apiextensionsv1.CustomResourceDefinition)
	}
	c.mu.Lock()
	if c.served == nil {
		c.served = map[string]*served{}
	}
	c.mu.Unlock()
	var errs []error
	names := map[string]bool{}
	for _, crd := range crds {
		names[crd.Name] = true
		if err := c.sync(ctx, crd, crds); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("%s: %w", crd.Name, err))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, sv := range c.served {
		if !names[name] {
			c.stopLocked(sv)
			delete(c.served, name)
		}
	}
	return errors.Join(errs...)
}

// Run syncs every interval until ctx ends.
func (c *Controller) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := c.Sync(ctx); err != nil && ctx.Err() == nil {
			c.Log.Warn("custom resource definitions", "err", err)
		}
	}
}

func (c *Controller) sync(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition, all []*apiextensionsv1.CustomResourceDefinition) error {
	if crd.DeletionTimestamp != nil {
		return c.finalize(ctx, crd)
	}
	if !slices.Contains(crd.Finalizers, Finalizer) {
		_, _, err := c.CRDs.Update(ctx, "", crd.Name, "", func(cur runtime.Object) (runtime.Object, error) {
			next := cur.(*apiextensionsv1.CustomResourceDefinition).DeepCopy()
			next.Finalizers = append(next.Finalizers, Finalizer)
			return next, nil
		}, false)
		return err // the next sync sees the finalizer
	}
	conflict := c.nameConflict(crd, all)
	if conflict == "" {
		if err := c.serve(ctx, crd); err != nil {
			return err
		}
	}
	return c.updateStatus(ctx, crd, conflict)
}

// nameConflict returns why crd's names cannot be accepted, or "".
func (c *Controller) nameConflict(crd *apiextensionsv1.CustomResourceDefinition, all []*apiextensionsv1.CustomResourceDefinition) string {
	n := crd.Spec.Names
	for _, r := range c.Builtin {
		if r.Group == crd.Spec.Group && (r.Resource == n.Plural || r.Kind == n.Kind) {
			return fmt.Sprintf("%q is already in use", n.Plural)
		}
	}
	for _, o := range all {
		if o.Name == crd.Name || o.Spec.Group != crd.Spec.Group || !isAccepted(o) || !o.CreationTimestamp.Before(&crd.CreationTimestamp) {
			continue
		}
		on := o.Status.AcceptedNames
		if on.Plural == n.Plural || on.Singular == n.Singular && n.Singular != "" {
			return fmt.Sprintf("%q is already in use", n.Plural)
		}
		if on.Kind == n.Kind || on.ListKind == n.ListKind {
			return fmt.Sprintf("%q is already in use", n.Kind)
		}
		for _, s := range n.ShortNames {
			if slices.Contains(on.ShortNames, s) {
				return fmt.Sprintf("%q is already in use", s)
			}
		}
	}
	return ""
}

func isAccepted(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range crd.Status.Conditions {
		if cond.Type == apiextensionsv1.NamesAccepted {
			return cond.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// serve (re)builds the stores of crd when its spec changed.
func (c *Controller) serve(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.served[crd.Name]
	if old != nil && old.generation == crd.Generation {
		return nil
	}
	sv := &served{generation: crd.Generation, terminating: &atomic.Bool{}}
	cctx, cancel := context.WithCancel(ctx)
	sv.cancel = cancel
	for _, v := range servedVersions(crd) {
		st := c.newStore(crd, v, sv.terminating)
		sv.stores = append(sv.stores, st)
		go func() {
			if err := st.Cache.Run(cctx); err != nil {
				c.Log.Warn("custom resource watch cache", "resource", st.Resource.GroupResource(), "err", err)
			}
		}()
		go st.Cache.RunBookmarks(cctx, time.Minute)
	}
	for _, st := range sv.stores {
		select {
		case <-st.Cache.Ready():
		case <-ctx.Done():
			cancel()
			return ctx.Err()
		}
	}
	if old != nil {
		c.stopLocked(old)
	}
	c.Registry.AddStores(sv.stores...)
	c.served[crd.Name] = sv
	return nil
}

// stopLocked stops serving sv's resources and their watch caches.
func (c *Controller) stopLocked(sv *served) {
	gvrs := make([]schema.GroupVersionResource, len(sv.stores))
	for i, st := range sv.stores {
		gvrs[i] = st.Resource.GroupVersionResource
	}
	c.Registry.RemoveResources(gvrs...)
	sv.cancel()
}

// servedVersions are the served versions, most preferred first, as
// Kubernetes orders versions (v2 before v1 before v1beta1).
func servedVersions(crd *apiextensionsv1.CustomResourceDefinition) []*apiextensionsv1.CustomResourceDefinitionVersion {
	var out []*apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Served {
			out = append(out, &crd.Spec.Versions[i])
		}
	}
	slices.SortStableFunc(out, func(a, b *apiextensionsv1.CustomResourceDefinitionVersion) int {
		return -version.CompareKubeAwareVersionStrings(a.Name, b.Name)
	})
	return out
}

func (c *Controller) newStore(crd *apiextensionsv1.CustomResourceDefinition, v *apiextensionsv1.CustomResourceDefinitionVersion, terminating *atomic.Bool) *generic.Store {
	n := crd.Spec.Names
	res := registry.Resource{
		GroupVersionResource: schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: n.Plural},
		Kind:                 n.Kind, Singular: n.Singular, Namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		ShortNames: n.ShortNames, Categories: n.Categories,
	}
	if v.Subresources != nil && v.Subresources.Status != nil {
		res.Subresources = append(res.Subresources, "status")
	}
	if v.Subresources != nil && v.Subresources.Scale != nil {
		res.Subresources = append(res.Subresources, "scale")
	}
	gvk := res.GVK()
	var sch *Schema
	if v.Schema != nil {
		sch = v.Schema.OpenAPIV3Schema
	}
	newFunc := func() runtime.Object {
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetGroupVersionKind(gvk)
		return u
	}
	cd := codec{storageVersion: crd.Spec.Group + "/" + storageVersion(crd), schema: sch}
	st := storage.NewStore(c.Client, cd, res.GroupResource(), gvk, "/registry/"+crd.Spec.Group+"/"+n.Plural+"/", newFunc)
	st.Metrics = c.Metrics
	return &generic.Store{
		Resource: res, Strategy: newStrategy(crd, v), Storage: st,
		Cache:     storage.NewCache(st, c.CacheSize, c.Log.With("resource", res.GroupResource().String())),
		Admission: terminatingAdmission{terminating: terminating, next: c.Admission},
		NewFunc:   newFunc,
		NewList: func() runtime.Object {
			l := &unstructured.UnstructuredList{Object: map[string]any{}}
			l.SetGroupVersionKind(gvk.GroupVersion().WithKind(n.ListKind))
			return l
		},
		Now: time.Now,
	}
}

func storageVersion(crd *apiextensionsv1.CustomResourceDefinition) string {
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return v.Name
		}
	}
	return ""
}

// terminatingAdmission refuses new objects once their definition is
// being deleted.
type terminatingAdmission struct {
	terminating *atomic.Bool
	next        generic.Admission
}

func (a terminatingAdmission) Admit(ctx context.Context, attrs *generic.Attributes) error {
	if attrs.Operation == generic.Create && a.terminating.Load() {
		return apierrors.NewMethodNotSupported(attrs.Resource.GroupResource(), "create")
	}
	if a.next == nil {
		return nil
	}
	return a.next.Admit(ctx, attrs)
}

// Validate hands custom resources to validating admission (webhooks,
// policies) as built-in ones.
func (a terminatingAdmission) Validate(ctx context.Context, attrs *generic.Attributes) error {
	if v, ok := a.next.(generic.ValidatingAdmission); ok {
		return v.Validate(ctx, attrs)
	}
	return nil
}

// updateStatus records the accepted names and the conditions.
func (c *Controller) updateStatus(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition, conflict string) error {
	want := crd.Status.DeepCopy()
	accepted := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue, Reason: "NoConflicts", Message: "no conflicts found"}
	established := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue, Reason: "InitialNamesAccepted", Message: "the initial names have been accepted"}
	if conflict != "" {
		accepted.Status, accepted.Reason, accepted.Message = apiextensionsv1.ConditionFalse, "NameConflict", conflict
		established.Status, established.Reason, established.Message = apiextensionsv1.ConditionFalse, "NotAccepted", "not all names are accepted"
	} else {
		want.AcceptedNames = crd.Spec.Names
	}
	setCondition(want, accepted)
	setCondition(want, established)
	if equalStatus(want, &crd.Status) {
		return nil
	}
	_, _, err := c.CRDs.Update(ctx, "", crd.Name, "status", func(cur runtime.Object) (runtime.Object, error) {
		next := cur.(*apiextensionsv1.CustomResourceDefinition).DeepCopy()
		if next.Generation != crd.Generation {
			return nil, apierrors.NewConflict(c.CRDs.GroupResource(), crd.Name, errors.New("changed"))
		}
		next.Status.AcceptedNames, next.Status.Conditions = want.AcceptedNames, want.Conditions
		return next, nil
	}, false)
	return err
}

func setCondition(st *apiextensionsv1.CustomResourceDefinitionStatus, cond apiextensionsv1.CustomResourceDefinitionCondition) {
	for i, cur := range st.Conditions {
		if cur.Type != cond.Type {
			continue
		}
		if cur.Status == cond.Status && cur.Reason == cond.Reason && cur.Message == cond.Message {
			return
		}
		cond.LastTransitionTime = metav1.NewTime(time.Now().Truncate(time.Second))
		st.Conditions[i] = cond
		return
	}
	cond.LastTransitionTime = metav1.NewTime(time.Now().Truncate(time.Second))
	st.Conditions = append(st.Conditions, cond)
}

func equalStatus(a, b *apiextensionsv1.CustomResourceDefinitionStatus) bool {
	if len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message {
			return false
		}
	}
	return slices.Equal(a.AcceptedNames.ShortNames, b.AcceptedNames.ShortNames) && slices.Equal(a.AcceptedNames.Categories, b.AcceptedNames.Categories) &&
		a.AcceptedNames.Plural == b.AcceptedNames.Plural && a.AcceptedNames.Singular == b.AcceptedNames.Singular &&
		a.AcceptedNames.Kind == b.AcceptedNames.Kind && a.AcceptedNames.ListKind == b.AcceptedNames.ListKind
}

// finalize refuses new objects, deletes every object and then releases
// the definition; the resource leaves discovery when it is gone.
func (c *Controller) finalize(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	if !slices.Contains(crd.Finalizers, Finalizer) {
		return nil
	}
	c.mu.Lock()
	sv := c.served[crd.Name]
	c.mu.Unlock()
	if sv != nil && len(sv.stores) > 0 {
		sv.terminating.Store(true)
		st := sv.stores[0]
		list, err := st.Storage.List(ctx, st.Storage.Prefix, storage.ListOptions{})
		if err != nil {
			return err
		}
		for _, obj := range list.Items {
			m, _ := meta.Accessor(obj)
			if _, _, err := st.Delete(ctx, m.GetNamespace(), m.GetName(), &metav1.DeleteOptions{}, false); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
		if rest, err := st.Storage.List(ctx, st.Storage.Prefix, storage.ListOptions{Limit: 1}); err != nil || len(rest.Items) > 0 {
			return err // objects with finalizers: wait for them
		}
	}
	_, _, err := c.CRDs.Update(ctx, "", crd.Name, "", func(cur runtime.Object) (runtime.Object, error) {
		next := cur.(*apiextensionsv1.CustomResourceDefinition).DeepCopy()
		next.Finalizers = slices.DeleteFunc(next.Finalizers, func(f string) bool { return f == Finalizer })
		return next, nil
	}, false)
	if err != nil {
		return err
	}
	if sv != nil {
		c.mu.Lock()
		c.stopLocked(sv)
		delete(c.served, crd.Name)
		c.mu.Unlock()
	}
	return nil
}
