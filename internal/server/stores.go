package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/skiff-sh/skiff/internal/registry/certificates"

	clientv3 "go.etcd.io/etcd/client/v3"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/skiff-sh/skiff/internal/apiserver"
	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/admissionregistration"
	"github.com/skiff-sh/skiff/internal/registry/apiextensions"
	"github.com/skiff-sh/skiff/internal/registry/apiregistration"
	"github.com/skiff-sh/skiff/internal/registry/apps"
	"github.com/skiff-sh/skiff/internal/registry/autoscaling"
	"github.com/skiff-sh/skiff/internal/registry/batch"
	"github.com/skiff-sh/skiff/internal/registry/coordination"
	"github.com/skiff-sh/skiff/internal/registry/core"
	"github.com/skiff-sh/skiff/internal/registry/discovery"
	"github.com/skiff-sh/skiff/internal/registry/events"
	"github.com/skiff-sh/skiff/internal/registry/flowcontrol"
	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/registry/networking"
	"github.com/skiff-sh/skiff/internal/registry/node"
	"github.com/skiff-sh/skiff/internal/registry/policy"
	"github.com/skiff-sh/skiff/internal/registry/rbac"
	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/scheduling"
	regstorage "github.com/skiff-sh/skiff/internal/registry/storage"
	"github.com/skiff-sh/skiff/internal/storage"
)

// strategies returns every group's strategies keyed by group.
func strategies() map[string]rest.Strategies {
	return map[string]rest.Strategies{
		"":                          core.Strategies(),
		"apps":                      apps.Strategies(),
		"batch":                     batch.Strategies(),
		"autoscaling":               autoscaling.Strategies(),
		"coordination.k8s.io":       coordination.Strategies(),
		"discovery.k8s.io":          discovery.Strategies(),
		"networking.k8s.io":         networking.Strategies(),
		"rbac.authorization.k8s.io": rbac.Strategies(),
		"storage.k8s.io":            regstorage.Strategies(),
		"policy":                    policy.Strategies(),
		"scheduling.k8s.io":         scheduling.Strategies(),
		"events.k8s.io":             events.Strategies(),
		"apiextensions.k8s.io":      apiextensions.Strategies(),
		"node.k8s.io":               node.Strategies(),

		"flowcontrol.apiserver.k8s.io": flowcontrol.Strategies(),
		"certificates.k8s.io":          certificates.Strategies(),

		"admissionregistration.k8s.io": admissionregistration.Strategies(),
		"apiregistration.k8s.io":       apiregistration.Strategies(),
	}
}

// buildStores makes the storage, watch cache and REST store of every
// built-in resource.
func buildStores(client *clientv3.Client, cacheSize int, metrics *storage.Metrics, log *slog.Logger) ([]*generic.Store, error) {
	codec := protobuf.NewSerializer(apiserver.Scheme, apiserver.Scheme)
	strats := strategies()
	var out []*generic.Store
	for _, res := range registry.Builtin() {
		// A group serving two versions of a resource keys the second by version.
		strat := strats[res.Group][res.Version+"/"+res.Resource]
		if strat == nil {
			strat = strats[res.Group][res.Resource]
		}
		if strat == nil {
			return nil, fmt.Errorf("no strategy for %s", res.GroupResource())
		}
		gvk := res.GVK()
		newFunc, err := newFuncFor(gvk)
		if err != nil {
			return nil, err
		}
		newList, err := newFuncFor(gvk.GroupVersion().WithKind(res.Kind + "List"))
		if err != nil {
			return nil, err
		}
		resCodec := storageCodec(codec, newFunc())
		if res.GroupVersion() == autoscalingv1.SchemeGroupVersion {
			resCodec = autoscaling.V1Codec{Storage: codec}
		}
		st := storage.NewStore(client, resCodec, res.GroupResource(), gvk, "/registry/"+res.StoragePrefix()+"/", newFunc)
		st.Metrics = metrics
		out = append(out, &generic.Store{
			Resource: res, Strategy: strat, Storage: st,
			Cache:   storage.NewCache(st, cacheSize, log.With("resource", res.GroupResource().String())),
			NewFunc: newFunc, NewList: newList, Now: time.Now,
		})
	}
	return out, nil
}

// newFuncFor returns a constructor that makes typed objects of gvk with
// apiVersion and kind set.
func newFuncFor(gvk schema.GroupVersionKind) (func() runtime.Object, error) {
	if _, err := apiserver.Scheme.New(gvk); err != nil {
		return nil, fmt.Errorf("kind %s: %w", gvk, err)
	}
	return func() runtime.Object {
		obj, _ := apiserver.Scheme.New(gvk)
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		return obj
	}, nil
}

// storeFor finds the store of a resource.
func storeFor(stores []*generic.Store, gvr schema.GroupVersionResource) *generic.Store {
	for _, s := range stores {
		if s.Resource.GroupVersionResource == gvr {
			return s
		}
	}
	return nil
}

// runCaches starts every watch cache and its bookmarks; it returns when
// ctx ends.
func runCaches(ctx context.Context, stores []*generic.Store, bookmarkEvery time.Duration, start func(func() error)) {
	for _, s := range stores {
		c := s.Cache
		start(func() error { return c.Run(ctx) })
		start(func() error { c.RunBookmarks(ctx, bookmarkEvery); return nil })
	}
}

// storageCodec is codec (protobuf) for the kinds with protobuf encodings,
// JSON for the rest (APIService: skiff's own type), as stored custom
// resources are.
func storageCodec(codec runtime.Codec, obj runtime.Object) runtime.Codec {
	if _, ok := obj.(interface{ Marshal() ([]byte, error) }); ok {
		return codec
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, apiserver.Scheme, apiserver.Scheme, json.SerializerOptions{})
}
