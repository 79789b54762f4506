package replicaset

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// BurstReplicas caps the pods one sync creates or deletes (Kubernetes' 500).
const BurstReplicas = 500

// Controller is the ReplicaSet (or ReplicationController) controller.
type Controller struct {
	kind      Kind
	client    kubernetes.Interface
	podLister corelisters.PodLister
	queue     workqueue.TypedRateLimitingInterface[string]
	exp       *podutil.Expectations
	recorder  record.EventRecorder
	pool      worker.Pool
	metrics   *metrics
	log       *slog.Logger

	// Now is the clock for availability; tests replace it.
	Now func() time.Time
	// BurstReplicas caps creations and deletions per sync.
	BurstReplicas int
}

// New builds the ReplicaSet controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	inf := cc.Informers.Apps().V1().ReplicaSets()
	lister := inf.Lister()
	client := cc.Client
	wrap := func(rs *appsv1.ReplicaSet) Object { return Object{ReplicaSet: rs, Orig: rs} }
	return NewForKind(cc, Kind{
		Name:      "replicaset",
		Component: "replicaset-controller",
		GVK:       appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
		Informer:  inf.Informer(),
		Get: func(ns, name string) (Object, error) {
			rs, err := lister.ReplicaSets(ns).Get(name)
			return wrap(rs), err
		},
		List: func(ns string) ([]Object, error) {
			all, err := lister.ReplicaSets(ns).List(labels.Everything())
			out := make([]Object, 0, len(all))
			for _, rs := range all {
				out = append(out, wrap(rs))
			}
			return out, err
		},
		GetLive: func(ctx context.Context, ns, name string) (Object, error) {
			rs, err := client.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
			return wrap(rs), err
		},
		UpdateStatus: func(ctx context.Context, o Object, st appsv1.ReplicaSetStatus) (Object, error) {
			rs := o.DeepCopy()
			rs.Status = st
			rs, err := client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
			return wrap(rs), err
		},
	})
}

// NewForKind builds the core controller for one owner kind.
func NewForKind(cc *controllerctx.Context, kind Kind) (*Controller, error) {
	m, err := newMetrics(cc.Metrics, kind.Name)
	if err != nil {
		return nil, err
	}
	pods := cc.Informers.Core().V1().Pods()
	c := &Controller{
		kind:          kind,
		client:        cc.Client,
		podLister:     pods.Lister(),
		queue:         worker.NewQueue(kind.Name),
		exp:           &podutil.Expectations{},
		recorder:      cc.Recorder(kind.Component),
		metrics:       m,
		log:           cc.Log.With("controller", kind.Name),
		Now:           time.Now,
		BurstReplicas: BurstReplicas,
	}
	if _, err := kind.Informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cur any) { c.enqueue(cur) },
		DeleteFunc: c.deleteOwner,
	}); err != nil {
		return nil, err
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addPod,
		UpdateFunc: c.updatePod,
		DeleteFunc: c.deletePod,
	}); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: kind.Name, Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{kind.Informer.HasSynced, pods.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run syncs owners until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

func (c *Controller) enqueue(obj any) { worker.Enqueuer(c.queue.Add)(obj) }

func (c *Controller) deleteOwner(obj any) {
	key, ok := worker.Key(obj)
	if !ok {
		return
	}
	c.exp.Forget(key)
	c.queue.Add(key)
}

// ownerKey returns the key of the owner ref names, if it is of our kind
// and still exists with that UID.
func (c *Controller) ownerKey(ns string, ref *metav1.OwnerReference) (string, bool) {
	if !podutil.IsKind(ref, c.kind.GVK) {
		return "", false
	}
	o, err := c.kind.Get(ns, ref.Name)
	if err != nil || o.UID != ref.UID {
		return "", false
	}
	return ns + "/" + ref.Name, true
}

// enqueueMatching enqueues every owner whose selector matches an orphan.
func (c *Controller) enqueueMatching(pod *corev1.Pod) {
	owners, err := c.kind.List(pod.Namespace)
	if err != nil {
		return
	}
	for _, o := range owners {
		sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		c.queue.Add(o.Namespace + "/" + o.Name)
	}
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		c.deletePod(pod)
		return
	}
	if ref := podutil.GetControllerOf(pod); ref != nil {
		if key, ok := c.ownerKey(pod.Namespace, ref); ok {
			c.exp.CreationObserved(key)
			c.queue.Add(key)
		}
		return
	}
	c.enqueueMatching(pod)
}

func (c *Controller) updatePod(old, cur any) {
	oldPod, pod := old.(*corev1.Pod), cur.(*corev1.Pod)
	if oldPod.ResourceVersion == pod.ResourceVersion {
		return
	}
	if pod.DeletionTimestamp != nil && oldPod.DeletionTimestamp == nil {
		// A graceful deletion: count it now, not when the kubelet is done.
		c.deletePod(pod)
		return
	}
	oldRef, ref := podutil.GetControllerOf(oldPod), podutil.GetControllerOf(pod)
	if oldRef != nil && (ref == nil || oldRef.UID != ref.UID) {
		if key, ok := c.ownerKey(oldPod.Namespace, oldRef); ok {
			c.queue.Add(key)
		}
	}
	if ref == nil {
		c.enqueueMatching(pod)
		return
	}
	key, ok := c.ownerKey(pod.Namespace, ref)
	if !ok {
		return
	}
	c.queue.Add(key)
	if !podutil.IsPodReady(oldPod) && podutil.IsPodReady(pod) {
		// Recount availability once minReadySeconds have passed.
		if o, err := c.kind.Get(pod.Namespace, ref.Name); err == nil && o.Spec.MinReadySeconds > 0 {
			c.queue.AddAfter(key, time.Duration(o.Spec.MinReadySeconds)*time.Second+time.Second)
		}
	}
}

func (c *Controller) deletePod(obj any) {
	pod, ok := worker.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	key, ok := c.ownerKey(pod.Namespace, podutil.GetControllerOf(pod))
	if !ok {
		return
	}
	c.exp.DeletionObserved(key, pod.UID)
	c.queue.Add(key)
}

func (c *Controller) event(o Object, typ, reason, format string, args ...any) {
	c.recorder.Eventf(o.Orig, typ, reason, format, args...)
}

func keyOf(o Object) string { return fmt.Sprintf("%s/%s", o.Namespace, o.Name) }
