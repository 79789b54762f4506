package dns

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// watch feeds the store from Service and EndpointSlice informers. The
// returned functions report when the handlers, not just the informer
// caches, have seen the initial lists.
func (s *Server) watch(factory informers.SharedInformerFactory) ([]cache.InformerSynced, error) {
	st := s.zone.store
	svcs := factory.Core().V1().Services().Informer()
	slices := factory.Discovery().V1().EndpointSlices().Informer()
	for _, inf := range []cache.SharedIndexInformer{svcs, slices} {
		if err := inf.SetTransform(slim); err != nil {
			return nil, fmt.Errorf("dns: informer transform: %w", err)
		}
	}
	svcReg, err := svcs.AddEventHandler(handlerFuncs(
		func(o *corev1.Service) { st.setService(o.Namespace, o.Name, toService(o)) },
		func(o *corev1.Service) { st.deleteService(o.Namespace, o.Name) },
	))
	if err != nil {
		return nil, fmt.Errorf("dns: service handler: %w", err)
	}
	sliceReg, err := slices.AddEventHandler(handlerFuncs(
		func(o *discoveryv1.EndpointSlice) { st.setSlice(o.Namespace, o.Name, toSlice(o)) },
		func(o *discoveryv1.EndpointSlice) { st.deleteSlice(o.Namespace, o.Name) },
	))
	if err != nil {
		return nil, fmt.Errorf("dns: endpointslice handler: %w", err)
	}
	return []cache.InformerSynced{svcReg.HasSynced, sliceReg.HasSynced}, nil
}

// handlerFuncs turns typed set and delete callbacks into informer
// handlers, unwrapping tombstones of deletions missed during a relist.
func handlerFuncs[T any](set, del func(T)) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if o, ok := obj.(T); ok {
				set(o)
			}
		},
		UpdateFunc: func(_, obj any) {
			if o, ok := obj.(T); ok {
				set(o)
			}
		},
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if o, ok := obj.(T); ok {
				del(o)
			}
		},
	}
}

// slim drops the metadata the DNS never reads from informer caches.
func slim(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
		m.SetAnnotations(nil)
	}
	return obj, nil
}
