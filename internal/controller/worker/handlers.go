package worker

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// Key returns the namespace/name key of obj, or of the object inside a
// deletion tombstone; ok is false when obj has none.
func Key(obj any) (key string, ok bool) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	return key, err == nil
}

// Unwrap returns obj, or the object inside a deletion tombstone, as a T;
// ok is false when it is not one.
func Unwrap[T any](obj any) (T, bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	v, ok := obj.(T)
	return v, ok
}

// Enqueuer returns a function that adds the key of each object it is
// given (see Key) with add, typically a queue's Add.
func Enqueuer(add func(key string)) func(obj any) {
	return func(obj any) {
		if key, ok := Key(obj); ok {
			add(key)
		}
	}
}

// Handler calls f for an added object, for the new version of an updated
// one and for a deleted one (which may be a tombstone).
func Handler(f func(obj any)) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    f,
		UpdateFunc: func(_, cur any) { f(cur) },
		DeleteFunc: f,
	}
}

// KeyHandler adds, with add, the key of every object added, updated or
// deleted.
func KeyHandler(add func(key string)) cache.ResourceEventHandlerFuncs {
	return Handler(Enqueuer(add))
}

// Watch is one event handler for one informer.
type Watch struct {
	Informer cache.SharedInformer
	Handler  cache.ResourceEventHandler
}

// AddHandlers registers each handler on its informer; it stops at the
// first error.
func AddHandlers(ws ...Watch) error {
	for _, w := range ws {
		if _, err := w.Informer.AddEventHandler(w.Handler); err != nil {
			return err
		}
	}
	return nil
}

// Get splits key and reads its object with get (a lister's namespaced
// Get). found is false, with a nil error, when the object is gone; a
// malformed key is an error.
func Get[T any](key string, get func(namespace, name string) (T, error)) (obj T, found bool, err error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return obj, false, err
	}
	obj, err = get(ns, name)
	if apierrors.IsNotFound(err) {
		return obj, false, nil
	}
	return obj, err == nil, err
}

// EnqueueNamespaceOf adds the key of every object list returns for the
// namespace of obj (an event's object or tombstone): for controllers whose
// objects sum up a whole namespace, such as quotas and disruption budgets.
func EnqueueNamespaceOf[T metav1.Object](obj any, list func(namespace string) ([]T, error), add func(key string)) {
	o, ok := Unwrap[metav1.Object](obj)
	if !ok {
		return
	}
	items, err := list(o.GetNamespace())
	if err != nil {
		return
	}
	for _, it := range items {
		add(it.GetNamespace() + "/" + it.GetName())
	}
}
