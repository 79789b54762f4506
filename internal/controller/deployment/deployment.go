package deployment

import (
	"context"
	"log/slog"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

var (
	deploymentKind = appsv1.SchemeGroupVersion.WithKind("Deployment")
	rsKind         = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
)

// Controller is the deployment controller.
type Controller struct {
	client    kubernetes.Interface
	dLister   appslisters.DeploymentLister
	rsLister  appslisters.ReplicaSetLister
	podLister corelisters.PodLister
	queue     workqueue.TypedRateLimitingInterface[string]
	recorder  record.EventRecorder
	pool      worker.Pool
	metrics   *metrics
	log       *slog.Logger

	// Now is the clock of conditions and deadlines; tests replace it.
	Now func() time.Time
}

// New builds the deployment controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	ds := cc.Informers.Apps().V1().Deployments()
	rss := cc.Informers.Apps().V1().ReplicaSets()
	pods := cc.Informers.Core().V1().Pods()
	c := &Controller{
		client: cc.Client, dLister: ds.Lister(), rsLister: rss.Lister(), podLister: pods.Lister(),
		queue:    worker.NewQueue("deployment"),
		recorder: cc.Recorder("deployment-controller"),
		metrics:  m,
		log:      cc.Log.With("controller", "deployment"),
		Now:      time.Now,
	}
	if err := worker.AddHandlers(
		worker.Watch{Informer: ds.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
		worker.Watch{Informer: rss.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.rsChanged, UpdateFunc: c.rsUpdated, DeleteFunc: c.rsChanged}},
		worker.Watch{Informer: pods.Informer(), Handler: cache.ResourceEventHandlerFuncs{DeleteFunc: c.podDeleted}},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "deployment", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{ds.Informer().HasSynced, rss.Informer().HasSynced, pods.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run syncs Deployments until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

func (c *Controller) enqueue(obj any) { worker.Enqueuer(c.queue.Add)(obj) }

func asRS(obj any) *appsv1.ReplicaSet {
	rs, _ := worker.Unwrap[*appsv1.ReplicaSet](obj)
	return rs
}

// rsChanged enqueues the Deployment that owns rs or, for an orphan,
// every Deployment that could adopt it.
func (c *Controller) rsChanged(obj any) {
	rs := asRS(obj)
	if rs == nil {
		return
	}
	if ref := podutil.GetControllerOf(rs); ref != nil {
		c.enqueueOwner(rs.Namespace, ref)
		return
	}
	ds, err := c.dLister.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, d := range ds {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(rs.Labels)) {
			c.enqueue(d)
		}
	}
}

func (c *Controller) rsUpdated(old, cur any) {
	o, n := asRS(old), asRS(cur)
	if o.ResourceVersion == n.ResourceVersion {
		return
	}
	if oref, nref := podutil.GetControllerOf(o), podutil.GetControllerOf(n); oref != nil && (nref == nil || oref.UID != nref.UID) {
		c.enqueueOwner(o.Namespace, oref)
	}
	c.rsChanged(n)
}

func (c *Controller) enqueueOwner(ns string, ref *metav1.OwnerReference) {
	if !podutil.IsKind(ref, deploymentKind) {
		return
	}
	d, err := c.dLister.Deployments(ns).Get(ref.Name)
	if err != nil || d.UID != ref.UID {
		return
	}
	c.enqueue(d)
}

// podDeleted wakes a Recreate Deployment waiting for its old pods to go.
func (c *Controller) podDeleted(obj any) {
	pod, ok := worker.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	ref := podutil.GetControllerOf(pod)
	if ref == nil || ref.Kind != rsKind.Kind {
		return
	}
	rs, err := c.rsLister.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return
	}
	if dref := podutil.GetControllerOf(rs); dref != nil {
		d, err := c.dLister.Deployments(pod.Namespace).Get(dref.Name)
		if err == nil && d.UID == dref.UID && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
			c.enqueue(d)
		}
	}
}
