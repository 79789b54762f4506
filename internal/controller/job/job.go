package job

import (
	"context"
	"log/slog"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// Backoff of pod re-creation after failures (Kubernetes' 10s doubling,
// capped at 6 minutes).
const (
	DefaultPodFailureBackoff = 10 * time.Second
	MaxPodFailureBackoff     = 6 * time.Minute
)

var jobKind = batchv1.SchemeGroupVersion.WithKind("Job")

// Controller is the Job controller; its queue holds job keys.
type Controller struct {
	client    kubernetes.Interface
	jobLister batchlisters.JobLister
	podLister corelisters.PodLister
	queue     workqueue.TypedRateLimitingInterface[string]
	exp       *podutil.Expectations
	recorder  record.EventRecorder
	pool      worker.Pool
	metrics   *metrics
	log       *slog.Logger

	// Clock drives deadlines and backoff; tests replace it.
	Clock clock.PassiveClock
	// PodFailureBackoff is the delay before replacing the first failed
	// pod; it doubles with each further failure.
	PodFailureBackoff time.Duration

	mu      sync.Mutex
	backoff map[string]backoffRecord
}

// backoffRecord counts failures since a job's last success.
type backoffRecord struct {
	failures int
	last     time.Time
}

// New builds the Job controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	jobs := cc.Informers.Batch().V1().Jobs()
	pods := cc.Informers.Core().V1().Pods()
	c := &Controller{
		client: cc.Client, jobLister: jobs.Lister(), podLister: pods.Lister(),
		queue: worker.NewQueue("job"), exp: &podutil.Expectations{},
		recorder: cc.Recorder("job-controller"), metrics: m, log: cc.Log.With("controller", "job"),
		Clock: clock.RealClock{}, PodFailureBackoff: DefaultPodFailureBackoff,
		backoff: map[string]backoffRecord{},
	}
	c.exp.Now = func() time.Time { return c.Clock.Now() }
	pe := podutil.PodEvents{Owner: jobKey, Exp: c.exp, Enqueue: c.queue.Add}
	if err := worker.AddHandlers(
		worker.Watch{Informer: jobs.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
		worker.Watch{Informer: pods.Informer(), Handler: pe.Handler()},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "job", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{jobs.Informer().HasSynced, pods.Informer().HasSynced},
		Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run syncs jobs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

// jobKey returns the key of the job controlling pod, if any.
func jobKey(pod *corev1.Pod) (string, bool) { return podutil.ControllerKey(pod, jobKind) }
