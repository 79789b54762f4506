package cronjob

import (
	"context"
	"log/slog"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

var cronJobKind = batchv1.SchemeGroupVersion.WithKind("CronJob")

// Controller is the CronJob controller; its queue holds CronJob keys.
type Controller struct {
	client    kubernetes.Interface
	cjLister  batchlisters.CronJobLister
	jobLister batchlisters.JobLister
	queue     workqueue.TypedRateLimitingInterface[string]
	recorder  record.EventRecorder
	pool      worker.Pool
	metrics   *metrics
	log       *slog.Logger

	// Clock is the controller's time; tests replace it.
	Clock clock.PassiveClock
}

// New builds the CronJob controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	cjs, jobs := cc.Informers.Batch().V1().CronJobs(), cc.Informers.Batch().V1().Jobs()
	c := &Controller{
		client: cc.Client, cjLister: cjs.Lister(), jobLister: jobs.Lister(),
		queue: worker.NewQueue("cronjob"), recorder: cc.Recorder("cronjob-controller"),
		metrics: m, log: cc.Log.With("controller", "cronjob"), Clock: clock.RealClock{},
	}
	if err := worker.AddHandlers(
		worker.Watch{Informer: cjs.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
		worker.Watch{Informer: jobs.Informer(), Handler: worker.Handler(c.enqueueJob)},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "cronjob", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{cjs.Informer().HasSynced, jobs.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run syncs CronJobs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

// enqueueJob enqueues the CronJob controlling a job.
func (c *Controller) enqueueJob(obj any) {
	if j, ok := worker.Unwrap[*batchv1.Job](obj); ok {
		if key, ok := podutil.ControllerKey(j, cronJobKind); ok {
			c.queue.Add(key)
		}
	}
}
