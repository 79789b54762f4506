package endpoints

import (
	"context"
	"maps"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podendpoint"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

const labelHeadless = "service.kubernetes.io/headless"

// Controller is the Endpoints controller.
type Controller struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	pods      corelisters.PodLister
	endpoints corelisters.EndpointsLister
	queue     workqueue.TypedRateLimitingInterface[string]
	pool      worker.Pool
}

// New builds the Endpoints controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	svcs := cc.Informers.Core().V1().Services()
	pods := cc.Informers.Core().V1().Pods()
	eps := cc.Informers.Core().V1().Endpoints()
	c := &Controller{
		client: cc.Client, services: svcs.Lister(), pods: pods.Lister(), endpoints: eps.Lister(),
		queue: worker.NewQueue("endpoints"),
	}
	if err := worker.AddHandlers(
		worker.Watch{Informer: svcs.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
		worker.Watch{Informer: pods.Informer(), Handler: podendpoint.PodHandler(c.services, c.queue.Add)},
		worker.Watch{Informer: eps.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
	); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "endpoints", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced:  []cache.InformerSynced{svcs.Informer().HasSynced, pods.Informer().HasSynced, eps.Informer().HasSynced},
		Metrics: m, Log: cc.Log.With("controller", "endpoints"),
	}
	return c, nil
}

// Run syncs Services until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		err = c.client.CoreV1().Endpoints(ns).Delete(ctx, name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if err != nil || !podendpoint.Managed(svc) {
		return err
	}
	pods, err := c.pods.Pods(ns).List(labels.SelectorFromValidatedSet(svc.Spec.Selector))
	if err != nil {
		return err
	}
	want := desired(svc, pods)
	have, err := c.endpoints.Endpoints(ns).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		_, err = c.client.CoreV1().Endpoints(ns).Create(ctx, want, metav1.CreateOptions{})
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) || apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	case err != nil:
		return err
	}
	if apiequality.Semantic.DeepEqual(have.Subsets, want.Subsets) && apiequality.Semantic.DeepEqual(have.Labels, want.Labels) {
		return nil
	}
	next := have.DeepCopy()
	next.Labels, next.Subsets = want.Labels, want.Subsets
	_, err = c.client.CoreV1().Endpoints(ns).Update(ctx, next, metav1.UpdateOptions{})
	return err
}

// desired builds the Endpoints of svc from its pods.
func desired(svc *corev1.Service, pods []*corev1.Pod) *corev1.Endpoints {
	out := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: maps.Clone(svc.Labels)}}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		out.Labels[labelHeadless] = ""
	}
	subsets := map[string]*corev1.EndpointSubset{}
	var keys []string
	for _, p := range pods {
		e, ok := podendpoint.For(svc, p, svc.Spec.PublishNotReadyAddresses)
		if !ok || (len(e.Ports) == 0 && len(svc.Spec.Ports) > 0) {
			continue
		}
		key := podendpoint.PortsKey(e.Ports)
		ss := subsets[key]
		if ss == nil {
			ss = &corev1.EndpointSubset{}
			for _, ep := range e.Ports {
				ss.Ports = append(ss.Ports, corev1.EndpointPort{Name: *ep.Name, Port: *ep.Port, Protocol: *ep.Protocol, AppProtocol: ep.AppProtocol})
			}
			subsets[key] = ss
			keys = append(keys, key)
		}
		addr := corev1.EndpointAddress{IP: e.IP, Hostname: e.Hostname,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		if p.Spec.NodeName != "" {
			addr.NodeName = new(p.Spec.NodeName)
		}
		if e.Ready {
			ss.Addresses = append(ss.Addresses, addr)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, addr)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		ss := subsets[k]
		sortAddresses(ss.Addresses)
		sortAddresses(ss.NotReadyAddresses)
		out.Subsets = append(out.Subsets, *ss)
	}
	return out
}

func sortAddresses(a []corev1.EndpointAddress) {
	sort.Slice(a, func(i, j int) bool { return a[i].IP < a[j].IP })
}
