package kubelet

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// byNodeIndex indexes pods by spec.nodeName.
const byNodeIndex = "spec.nodeName"

// SharedPods is one informer of every bound pod, shared by the kubelets
// of one process (hollow nodes): a thousand kubelets cost one watch and
// one handler instead of a thousand, and each kubelet still gets exactly
// its node's pod events. New starts nothing; Run runs the informer until
// ctx ends.
type SharedPods struct {
	factory  informers.SharedInformerFactory
	informer cache.SharedIndexInformer
	lister   corelisters.PodLister

	mu       sync.RWMutex
	handlers map[string]func(obj any)
}

// NewSharedPods returns a pod informer over client for the kubelets of
// this process.
func NewSharedPods(client kubernetes.Interface) (*SharedPods, error) {
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermNotEqualSelector("spec.nodeName", "").String()
	}))
	inf := factory.Core().V1().Pods()
	s := &SharedPods{factory: factory, informer: inf.Informer(), lister: inf.Lister(), handlers: map[string]func(any){}}
	if err := s.informer.AddIndexers(cache.Indexers{byNodeIndex: func(obj any) ([]string, error) {
		return []string{obj.(*corev1.Pod).Spec.NodeName}, nil
	}}); err != nil {
		return nil, err
	}
	_, err := s.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.dispatch,
		UpdateFunc: func(_, obj any) { s.dispatch(obj) },
		DeleteFunc: s.dispatch,
	})
	return s, err
}

// Run runs the informer until ctx ends.
func (s *SharedPods) Run(ctx context.Context) {
	s.factory.Start(ctx.Done())
	<-ctx.Done()
	s.factory.Shutdown()
}

// dispatch hands a pod event to its node's kubelet, if it has one here.
func (s *SharedPods) dispatch(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if d, isTombstone := obj.(cache.DeletedFinalStateUnknown); isTombstone {
		pod, ok = d.Obj.(*corev1.Pod)
	}
	if !ok {
		return
	}
	s.mu.RLock()
	fn := s.handlers[pod.Spec.NodeName]
	s.mu.RUnlock()
	if fn != nil {
		fn(obj)
	}
}

// subscribe sends node's pod events to fn, first replaying the pods
// already known, since they may have arrived before the kubelet; it
// returns how to unsubscribe.
func (s *SharedPods) subscribe(node string, fn func(obj any)) func() {
	s.mu.Lock()
	s.handlers[node] = fn
	s.mu.Unlock()
	known, _ := s.informer.GetIndexer().ByIndex(byNodeIndex, node)
	for _, obj := range known {
		fn(obj)
	}
	return func() {
		s.mu.Lock()
		delete(s.handlers, node)
		s.mu.Unlock()
	}
}
