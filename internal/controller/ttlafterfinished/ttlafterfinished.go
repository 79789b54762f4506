package ttlafterfinished

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// Controller deletes expired finished jobs; its queue holds job keys.
type Controller struct {
	client  kubernetes.Interface
	lister  batchlisters.JobLister
	pool    worker.Pool
	metrics *metrics

	// Clock decides expiry; tests replace it.
	Clock clock.PassiveClock
}

// New builds the TTL-after-finished controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	jobs := cc.Informers.Batch().V1().Jobs()
	c := &Controller{client: cc.Client, lister: jobs.Lister(), metrics: m, Clock: clock.RealClock{}}
	queue := worker.NewQueue("ttlafterfinished")
	enqueue := func(obj any) {
		if j, ok := obj.(*batchv1.Job); ok && j.DeletionTimestamp == nil && j.Spec.TTLSecondsAfterFinished != nil && finishedAt(j) != nil {
			if key, err := cache.MetaNamespaceKeyFunc(j); err == nil {
				queue.Add(key)
			}
		}
	}
	if _, err := jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, cur any) { enqueue(cur) },
	}); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "ttlafterfinished", Queue: queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{jobs.Informer().HasSynced},
		Metrics: m.sync, Log: cc.Log.With("controller", "ttlafterfinished"),
	}
	return c, nil
}

// Run deletes expired jobs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

// finishedAt returns when the job got its Complete or Failed condition,
// or nil while it runs.
func finishedAt(j *batchv1.Job) *time.Time {
	for _, cond := range j.Status.Conditions {
		if (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) && cond.Status == corev1.ConditionTrue {
			return &cond.LastTransitionTime.Time
		}
	}
	return nil
}

// expiresIn returns how long until j may be deleted; ok is false when it
// never expires.
func expiresIn(j *batchv1.Job, now time.Time) (d time.Duration, ok bool) {
	at := finishedAt(j)
	if j.DeletionTimestamp != nil || j.Spec.TTLSecondsAfterFinished == nil || at == nil {
		return 0, false
	}
	return at.Add(time.Duration(*j.Spec.TTLSecondsAfterFinished) * time.Second).Sub(now), true
}

func (c *Controller) sync(ctx context.Context, key string) error {
	j, found, err := worker.Get(key, func(ns, name string) (*batchv1.Job, error) {
		return c.lister.Jobs(ns).Get(name)
	})
	if err != nil || !found {
		return err
	}
	if left, ok := expiresIn(j, c.Clock.Now()); !ok || left > 0 {
		if ok {
			c.pool.Queue.AddAfter(key, left)
		}
		return nil
	}
	// The cache may be stale: the TTL may have been raised meanwhile.
	fresh, err := c.client.BatchV1().Jobs(j.Namespace).Get(ctx, j.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if left, ok := expiresIn(fresh, c.Clock.Now()); !ok || left > 0 {
		if ok {
			c.pool.Queue.AddAfter(key, left)
		}
		return nil
	}
	policy := metav1.DeletePropagationBackground
	err = c.client.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{
		PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &fresh.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete expired job %s: %w", key, err)
	}
	c.metrics.deleted.Inc()
	return nil
}
