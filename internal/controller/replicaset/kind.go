package replicaset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// Object is a ReplicaSet-like object in ReplicaSet form; Orig is the
// stored object (a ReplicaSet or ReplicationController), for events.
type Object struct {
	*appsv1.ReplicaSet
	Orig runtime.Object
}

// Kind adapts one owner type to the core: ReplicaSets themselves, or
// ReplicationControllers converted to ReplicaSet form.
type Kind struct {
	// Name names the controller in metrics, queue and logs.
	Name string
	// Component is the source of its events.
	Component string
	GVK       schema.GroupVersionKind
	Informer  cache.SharedIndexInformer
	// Get reads one owner from the informer cache.
	Get func(namespace, name string) (Object, error)
	// List reads the owners of a namespace from the informer cache.
	List func(namespace string) ([]Object, error)
	// GetLive reads one owner from the API server, uncached.
	GetLive func(ctx context.Context, namespace, name string) (Object, error)
	// UpdateStatus writes status of the owner in ReplicaSet form.
	UpdateStatus func(ctx context.Context, o Object, status appsv1.ReplicaSetStatus) (Object, error)
}
