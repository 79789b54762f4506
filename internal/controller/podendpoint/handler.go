package podendpoint

import (
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// PodHandler enqueues the Services a pod belongs to, before and after a
// change, whenever something an endpoint shows may have changed.
func PodHandler(services corelisters.ServiceLister, enqueue func(key string)) cache.ResourceEventHandler {
	add := func(obj any) {
		if pod, ok := worker.Unwrap[*corev1.Pod](obj); ok {
			for _, k := range ServicesFor(services, pod) {
				enqueue(k)
			}
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: add,
		UpdateFunc: func(old, cur any) {
			o, n := old.(*corev1.Pod), cur.(*corev1.Pod)
			if !endpointChanged(o, n) {
				return
			}
			add(o)
			add(n)
		},
		DeleteFunc: add,
	}
}

func endpointChanged(o, n *corev1.Pod) bool {
	return !apiequality.Semantic.DeepEqual(o.Labels, n.Labels) ||
		o.Status.PodIP != n.Status.PodIP || o.Status.Phase != n.Status.Phase ||
		(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil) ||
		o.Spec.NodeName != n.Spec.NodeName || o.Spec.Hostname != n.Spec.Hostname || o.Spec.Subdomain != n.Spec.Subdomain ||
		!apiequality.Semantic.DeepEqual(o.Status.Conditions, n.Status.Conditions)
}
