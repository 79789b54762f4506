package podutil

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// PodEvents turns pod events into keys of the controller owning the pod,
// recording in Exp the creations and deletions the controller waits for.
type PodEvents struct {
	// Owner returns the key of the controller of pod, if it is one of
	// this controller's kind.
	Owner func(pod *corev1.Pod) (string, bool)
	Exp   *Expectations
	// Enqueue adds a controller key to the work queue.
	Enqueue func(key string)
}

// Handler returns the informer handlers of e.
func (e PodEvents) Handler() cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{AddFunc: e.add, UpdateFunc: e.update, DeleteFunc: e.delete}
}

func (e PodEvents) add(obj any) {
	pod := obj.(*corev1.Pod)
	key, ok := e.Owner(pod)
	if !ok {
		return
	}
	// A pod that shows up already being deleted (seen first after a
	// restart) counts as a deletion, as in Kubernetes.
	if pod.DeletionTimestamp != nil {
		e.Exp.DeletionObserved(key, pod.UID)
	} else {
		e.Exp.CreationObserved(key)
	}
	e.Enqueue(key)
}

// update counts the start of a graceful deletion as the deletion: the
// kubelet may take long to finish it.
func (e PodEvents) update(old, cur any) {
	oldPod, pod := old.(*corev1.Pod), cur.(*corev1.Pod)
	if oldPod.ResourceVersion == pod.ResourceVersion {
		return
	}
	key, ok := e.Owner(pod)
	if !ok {
		return
	}
	if pod.DeletionTimestamp != nil && oldPod.DeletionTimestamp == nil {
		e.Exp.DeletionObserved(key, pod.UID)
	}
	e.Enqueue(key)
}

func (e PodEvents) delete(obj any) {
	pod, ok := worker.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	if key, ok := e.Owner(pod); ok {
		e.Exp.DeletionObserved(key, pod.UID)
		e.Enqueue(key)
	}
}
