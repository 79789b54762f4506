package ingress

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
)

// store holds the informer caches the routing table is built from.
type store struct {
	factories []informers.SharedInformerFactory
	synced    []cache.InformerSynced

	ingresses networkinglisters.IngressLister
	classes   networkinglisters.IngressClassLister
	services  corelisters.ServiceLister
	slices    discoverylisters.EndpointSliceLister
	secrets   corelisters.SecretLister
	nodes     corelisters.NodeLister
}

// newStore creates (but does not start) the informers; onChange runs on
// every add, update and delete.
func newStore(c kubernetes.Interface, onChange func()) (*store, error) {
	all := informers.NewSharedInformerFactory(c, 0)
	// Only TLS Secrets are read; the API server filters the rest out.
	tlsOnly := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("type", string(corev1.SecretTypeTLS)).String()
	}))
	s := &store{factories: []informers.SharedInformerFactory{all, tlsOnly}}
	ing, ic := all.Networking().V1().Ingresses(), all.Networking().V1().IngressClasses()
	svc, eps := all.Core().V1().Services(), all.Discovery().V1().EndpointSlices()
	sec, node := tlsOnly.Core().V1().Secrets(), all.Core().V1().Nodes()
	s.ingresses, s.classes, s.services = ing.Lister(), ic.Lister(), svc.Lister()
	s.slices, s.secrets, s.nodes = eps.Lister(), sec.Lister(), node.Lister()
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { onChange() },
		UpdateFunc: func(any, any) { onChange() },
		DeleteFunc: func(any) { onChange() },
	}
	for _, inf := range []cache.SharedIndexInformer{ing.Informer(), ic.Informer(), svc.Informer(), eps.Informer(), sec.Informer(), node.Informer()} {
		if err := inf.SetTransform(slim); err != nil {
			return nil, err
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, err
		}
		s.synced = append(s.synced, inf.HasSynced)
	}
	return s, nil
}

func (s *store) start(stop <-chan struct{}) {
	for _, f := range s.factories {
		f.Start(stop)
	}
}

// shutdown waits for the informer goroutines after stop is closed.
func (s *store) shutdown() {
	for _, f := range s.factories {
		f.Shutdown()
	}
}

// slim drops the parts of cached objects the router never reads.
func slim(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
	}
	if n, ok := obj.(*corev1.Node); ok {
		n.Status.Images = nil
	}
	return obj, nil
}
