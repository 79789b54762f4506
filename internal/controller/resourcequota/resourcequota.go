package resourcequota

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// ResyncPeriod is how often every quota is recomputed regardless of events.
const ResyncPeriod = 30 * time.Second

// Controller keeps ResourceQuota status; its queue holds quota keys.
type Controller struct {
	client  kubernetes.Interface
	quotas  corelisters.ResourceQuotaLister
	pods    corelisters.PodLister
	svcs    corelisters.ServiceLister
	cms     corelisters.ConfigMapLister
	secrets corelisters.SecretLister
	pvcs    corelisters.PersistentVolumeClaimLister
	rcs     corelisters.ReplicationControllerLister
	queue   workqueue.TypedRateLimitingInterface[string]
	pool    worker.Pool
	metrics *metrics
	now     func() time.Time
}

// New builds the resourcequota controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	core := cc.Informers.Core().V1()
	rq, pod, svc, cm, sec, pvc, rc := core.ResourceQuotas(), core.Pods(), core.Services(),
		core.ConfigMaps(), core.Secrets(), core.PersistentVolumeClaims(), core.ReplicationControllers()
	c := &Controller{
		client: cc.Client, quotas: rq.Lister(), pods: pod.Lister(), svcs: svc.Lister(),
		cms: cm.Lister(), secrets: sec.Lister(), pvcs: pvc.Lister(), rcs: rc.Lister(),
		queue: worker.NewQueue("resourcequota"), metrics: m, now: time.Now,
	}
	byNamespace := worker.Handler(c.enqueueNamespaceOf)
	informers := []cache.SharedIndexInformer{
		rq.Informer(), pod.Informer(), svc.Informer(), cm.Informer(), sec.Informer(), pvc.Informer(), rc.Informer(),
	}
	var synced []cache.InformerSynced
	for _, inf := range informers {
		// Quotas themselves are counted (resourcequotas), so a quota
		// change requeues every quota of its namespace.
		if err := worker.AddHandlers(worker.Watch{Informer: inf, Handler: byNamespace}); err != nil {
			return nil, err
		}
		synced = append(synced, inf.HasSynced)
	}
	c.pool = worker.Pool{
		Name: "resourcequota", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: synced, Metrics: m.sync, Log: cc.Log.With("controller", "resourcequota"),
	}
	return c, nil
}

// Run syncs quotas until ctx ends, requeueing all of them every
// ResyncPeriod.
func (c *Controller) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ResyncPeriod)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				qs, err := c.quotas.List(labels.Everything())
				if err != nil {
					continue
				}
				for _, q := range qs {
					c.queue.Add(q.Namespace + "/" + q.Name)
				}
			}
		}
	}()
	err := c.pool.Run(ctx)
	<-done
	return err
}

func (c *Controller) enqueueNamespaceOf(obj any) {
	worker.EnqueueNamespaceOf(obj, func(ns string) ([]*corev1.ResourceQuota, error) {
		return c.quotas.ResourceQuotas(ns).List(labels.Everything())
	}, c.queue.Add)
}

func (c *Controller) sync(ctx context.Context, key string) error {
	q, found, err := worker.Get(key, func(ns, name string) (*corev1.ResourceQuota, error) {
		return c.quotas.ResourceQuotas(ns).Get(name)
	})
	if err != nil || !found {
		return err
	}
	objs, err := c.objects(q.Namespace)
	if err != nil {
		return err
	}
	status := corev1.ResourceQuotaStatus{Hard: q.Spec.Hard.DeepCopy(), Used: Used(q.Spec.Hard, Scoped(q.Spec, objs), c.now())}
	if len(status.Hard) == 0 {
		status.Hard = nil
	}
	if len(status.Used) == 0 {
		status.Used = nil
	}
	if equal(status, q.Status) {
		return nil
	}
	q = q.DeepCopy()
	q.Status = status
	_, err = c.client.CoreV1().ResourceQuotas(q.Namespace).UpdateStatus(ctx, q, metav1.UpdateOptions{})
	switch {
	case err == nil:
		c.metrics.updates.Inc()
	case apierrors.IsNotFound(err):
	default:
		return fmt.Errorf("update status of resourcequota %s: %w", key, err)
	}
	return nil
}

// equal compares statuses by quantity value, not representation.
func equal(a, b corev1.ResourceQuotaStatus) bool {
	same := func(x, y corev1.ResourceList) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || v.Cmp(w) != 0 {
				return false
			}
		}
		return true
	}
	return same(a.Hard, b.Hard) && same(a.Used, b.Used)
}

func (c *Controller) objects(ns string) (Objects, error) {
	var o Objects
	var err error
	all := labels.Everything()
	if o.Pods, err = c.pods.Pods(ns).List(all); err != nil {
		return o, err
	}
	if o.Services, err = c.svcs.Services(ns).List(all); err != nil {
		return o, err
	}
	if o.ConfigMaps, err = c.cms.ConfigMaps(ns).List(all); err != nil {
		return o, err
	}
	if o.Secrets, err = c.secrets.Secrets(ns).List(all); err != nil {
		return o, err
	}
	if o.PersistentVolumeClaims, err = c.pvcs.PersistentVolumeClaims(ns).List(all); err != nil {
		return o, err
	}
	if o.ReplicationControllers, err = c.rcs.ReplicationControllers(ns).List(all); err != nil {
		return o, err
	}
	o.ResourceQuotas, err = c.quotas.ResourceQuotas(ns).List(all)
	return o, err
}
