package serviceaccount

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// DefaultName is the ServiceAccount every namespace gets.
const DefaultName = "default"

// Controller creates the default ServiceAccount of each namespace; its
// queue holds namespace names.
type Controller struct {
	client   kubernetes.Interface
	nsLister corelisters.NamespaceLister
	saLister corelisters.ServiceAccountLister
	queue    workqueue.TypedRateLimitingInterface[string]
	pool     worker.Pool
	metrics  *metrics
}

// New builds the serviceaccount controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	ns := cc.Informers.Core().V1().Namespaces()
	sa := cc.Informers.Core().V1().ServiceAccounts()
	c := &Controller{
		client: cc.Client, nsLister: ns.Lister(), saLister: sa.Lister(),
		queue: worker.NewQueue("serviceaccount"), metrics: m,
	}
	if _, err := ns.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueNamespace,
		UpdateFunc: func(_, cur any) { c.enqueueNamespace(cur) },
	}); err != nil {
		return nil, err
	}
	if _, err := sa.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: c.deleteAccount,
	}); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "serviceaccount", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{ns.Informer().HasSynced, sa.Informer().HasSynced},
		Metrics: m.sync, Log: cc.Log.With("controller", "serviceaccount"),
	}
	return c, nil
}

// Run syncs namespaces until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

func (c *Controller) enqueueNamespace(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok {
		c.queue.Add(ns.Name)
	}
}

func (c *Controller) deleteAccount(obj any) {
	if sa, ok := worker.Unwrap[*corev1.ServiceAccount](obj); ok && sa.Name == DefaultName {
		c.queue.Add(sa.Namespace)
	}
}

// sync creates the default ServiceAccount of namespace name if it is
// active and lacks one.
func (c *Controller) sync(ctx context.Context, name string) error {
	_, active, err := worker.ActiveNamespace(c.nsLister, name)
	if err != nil || !active {
		return err
	}
	if _, err := c.saLister.ServiceAccounts(name).Get(DefaultName); err == nil {
		return nil
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: DefaultName}}
	_, err = c.client.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{})
	switch {
	case err == nil:
		c.metrics.created.Inc()
	case apierrors.IsAlreadyExists(err), apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// Created meanwhile, or the namespace began terminating.
	default:
		return fmt.Errorf("create serviceaccount %s/%s: %w", name, DefaultName, err)
	}
	return nil
}
