package rootcacertpublisher

import (
	"context"
	"fmt"
	"maps"

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

const (
	// ConfigMapName is the ConfigMap every namespace gets.
	ConfigMapName = "kube-root-ca.crt"
	// DataKey is the key holding the CA bundle.
	DataKey = "ca.crt"
)

// Controller keeps kube-root-ca.crt in each namespace; its queue holds
// namespace names.
type Controller struct {
	client   kubernetes.Interface
	rootCA   string
	nsLister corelisters.NamespaceLister
	cmLister corelisters.ConfigMapLister
	queue    workqueue.TypedRateLimitingInterface[string]
	pool     worker.Pool
	metrics  *metrics
}

// New builds the root-ca-cert-publisher controller. Without a root CA to
// publish (a manager talking to the API without TLS) it warns and idles,
// so that selecting every controller still works.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	if len(cc.Options.RootCA) == 0 {
		cc.Log.Warn("no root CA to publish; root-ca-cert-publisher idle", "controller", "root-ca-cert-publisher")
		return idle{}, nil
	}
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	ns := cc.Informers.Core().V1().Namespaces()
	cm := cc.Informers.Core().V1().ConfigMaps()
	c := &Controller{
		client: cc.Client, rootCA: string(cc.Options.RootCA),
		nsLister: ns.Lister(), cmLister: cm.Lister(),
		queue: worker.NewQueue("root_ca_cert_publisher"), metrics: m,
	}
	err = worker.AddHandlers(
		worker.Watch{Informer: ns.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueueNamespace,
			UpdateFunc: func(_, cur any) { c.enqueueNamespace(cur) },
		}},
		worker.Watch{Informer: cm.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(_, cur any) { c.enqueueConfigMap(cur) },
			DeleteFunc: c.enqueueConfigMap,
		}},
	)
	if err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "root-ca-cert-publisher", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{ns.Informer().HasSynced, cm.Informer().HasSynced},
		Metrics: m.sync, Log: cc.Log.With("controller", "root-ca-cert-publisher"),
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

func (c *Controller) enqueueConfigMap(obj any) {
	if cm, ok := worker.Unwrap[*corev1.ConfigMap](obj); ok && cm.Name == ConfigMapName {
		c.queue.Add(cm.Namespace)
	}
}

// sync creates or restores kube-root-ca.crt in namespace name if it is
// active.
func (c *Controller) sync(ctx context.Context, name string) error {
	_, active, err := worker.ActiveNamespace(c.nsLister, name)
	if err != nil || !active {
		return err
	}
	want := map[string]string{DataKey: c.rootCA}
	cm, err := c.cmLister.ConfigMaps(name).Get(ConfigMapName)
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName}, Data: want}
		_, err = c.client.CoreV1().ConfigMaps(name).Create(ctx, cm, metav1.CreateOptions{})
		switch {
		case err == nil:
			c.metrics.created.Inc()
		case apierrors.IsAlreadyExists(err), apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
			// Created meanwhile (its update event requeues us), or the
			// namespace began terminating.
		default:
			return fmt.Errorf("create configmap %s/%s: %w", name, ConfigMapName, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if maps.Equal(cm.Data, want) && len(cm.BinaryData) == 0 {
		return nil
	}
	cm = cm.DeepCopy()
	cm.Data, cm.BinaryData = want, nil
	_, err = c.client.CoreV1().ConfigMaps(name).Update(ctx, cm, metav1.UpdateOptions{})
	switch {
	case err == nil:
		c.metrics.updated.Inc()
	case apierrors.IsNotFound(err):
		// Deleted meanwhile: the delete event requeues us.
	default:
		return fmt.Errorf("update configmap %s/%s: %w", name, ConfigMapName, err)
	}
	return nil
}

// idle is the controller when there is nothing to publish.
type idle struct{}

func (idle) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
