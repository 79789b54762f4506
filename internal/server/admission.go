package server

import (
	"context"
	"fmt"
	"log/slog"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/auth/admission/policy"
	"github.com/skiff-sh/skiff/internal/auth/admission/webhook"
	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/storage"
)

// webhookPlugin reads webhook configurations from their watch caches;
// it runs last in the chain, as Kubernetes runs webhooks after its
// built-in plugins.
func webhookPlugin(stores []*generic.Store, log *slog.Logger) *webhook.Plugin {
	return webhook.New(webhook.Config{
		Mutating:   cacheSource(storeFor(stores, admissionregv1.SchemeGroupVersion.WithResource("mutatingwebhookconfigurations"))),
		Validating: cacheSource(storeFor(stores, admissionregv1.SchemeGroupVersion.WithResource("validatingwebhookconfigurations"))),
		Namespaces: namespaceLookup(storeFor(stores, corev1.SchemeGroupVersion.WithResource("namespaces"))),
		Services:   serviceLookup(storeFor(stores, corev1.SchemeGroupVersion.WithResource("services"))),
		Log:        log.With("component", "admission-webhook"),
	})
}

// policyPlugin enforces ValidatingAdmissionPolicies; params are built-in
// objects read from their watch caches.
func policyPlugin(stores []*generic.Store) *policy.Plugin {
	byKind := map[schema.GroupVersionKind]*generic.Store{}
	for _, st := range stores {
		byKind[st.Resource.GVK()] = st
	}
	return policy.New(policy.Config{
		Policies:   cacheSource(storeFor(stores, admissionregv1.SchemeGroupVersion.WithResource("validatingadmissionpolicies"))),
		Bindings:   cacheSource(storeFor(stores, admissionregv1.SchemeGroupVersion.WithResource("validatingadmissionpolicybindings"))),
		Namespaces: namespaceLookup(storeFor(stores, corev1.SchemeGroupVersion.WithResource("namespaces"))),
		Params: func(gvk schema.GroupVersionKind) (func(string) []runtime.Object, bool, error) {
			st := byKind[gvk]
			if st == nil {
				return nil, false, fmt.Errorf("unknown kind %s", gvk)
			}
			return func(ns string) []runtime.Object {
				objs, _ := st.Cache.List(st.Storage.NamespacePrefix(ns), storage.Predicate{})
				return objs
			}, st.Resource.Namespaced, nil
		},
	})
}

// cacheSource lists every object of st from its watch cache.
func cacheSource(st *generic.Store) webhook.Source {
	return webhook.Source{
		List: func() ([]runtime.Object, int64) {
			return st.Cache.List(st.Storage.NamespacePrefix(""), storage.Predicate{})
		},
		Revision: st.Cache.Revision,
	}
}

func serviceLookup(st *generic.Store) webhook.ServiceLookup {
	return func(ctx context.Context, ns, name string) (*corev1.Service, error) {
		obj, err := st.Get(ctx, ns, name, "0")
		if err != nil {
			obj, err = st.Get(ctx, ns, name, "")
		}
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.Service), nil
	}
}
