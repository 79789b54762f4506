package servicelb

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/controller/worker"
	"github.com/skiff-sh/skiff/internal/nodeaddr"
)

// Event reasons, as Kubernetes' service controller writes them.
const (
	ReasonEnsuring   = "EnsuringLoadBalancer"
	ReasonEnsured    = "EnsuredLoadBalancer"
	ReasonSyncFailed = "SyncLoadBalancerFailed"
	ReasonDeleting   = "DeletingLoadBalancer"
	ReasonDeleted    = "DeletedLoadBalancer"
)

// sync gives Service key its load balancer, or takes it away when the
// Service is gone, deleted or no longer of type LoadBalancer.
func (c *Controller) sync(ctx context.Context, key string) error {
	svc, found, err := worker.Get(key, func(ns, name string) (*corev1.Service, error) {
		return c.svcLister.Services(ns).Get(name)
	})
	if err != nil {
		return err
	}
	switch {
	case !found:
		c.release(key)
		return nil
	case managed(svc):
		return c.ensure(ctx, key, svc)
	case ours(svc):
		return c.cleanup(ctx, key, svc)
	}
	return nil
}

func (c *Controller) ensure(ctx context.Context, key string, svc *corev1.Service) error {
	// The finalizer goes on first, so no address is handed out that a
	// deletion could leak.
	if !hasFinalizer(svc) {
		cur := svc.DeepCopy()
		cur.Finalizers = append(cur.Finalizers, Finalizer)
		updated, err := c.client.CoreV1().Services(svc.Namespace).Update(ctx, cur, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("add finalizer to service %s: %w", key, err)
		}
		svc = updated
	}
	addrs, err := c.addresses(key, svc)
	if errors.Is(err, ErrPoolExhausted) {
		c.metrics.exhausted.Inc()
		c.recorder.Eventf(svc, corev1.EventTypeWarning, ReasonSyncFailed,
			"Error syncing load balancer: failed to ensure load balancer: %v", err)
	}
	if err != nil {
		return fmt.Errorf("ensure load balancer of service %s: %w", key, err)
	}
	want := ingress(addrs)
	if equality.Semantic.DeepEqual(want, svc.Status.LoadBalancer.Ingress) {
		return nil
	}
	c.recorder.Event(svc, corev1.EventTypeNormal, ReasonEnsuring, "Ensuring load balancer")
	if _, err := c.writeIngress(ctx, svc, want); err != nil {
		return err
	}
	c.recorder.Event(svc, corev1.EventTypeNormal, ReasonEnsured, "Ensured load balancer")
	return nil
}

// addresses returns the pool address of svc, or the node addresses
// without a pool.
func (c *Controller) addresses(key string, svc *corev1.Service) ([]netip.Addr, error) {
	if c.alloc == nil {
		nodes, err := c.nodeLister.List(labels.Everything())
		return nodeaddr.LoadBalancerAddrs(nodes), err
	}
	// An invalid or empty spec.loadBalancerIP parses to the zero Addr,
	// which asks for any address.
	requested, _ := netip.ParseAddr(svc.Spec.LoadBalancerIP)
	a, err := c.alloc.allocate(key, requested)
	c.metrics.allocated.Set(float64(c.alloc.allocated()))
	if err != nil {
		return nil, err
	}
	return []netip.Addr{a}, nil
}

func ingress(addrs []netip.Addr) []corev1.LoadBalancerIngress {
	var out []corev1.LoadBalancerIngress
	for _, a := range addrs {
		mode := corev1.LoadBalancerIPModeVIP
		out = append(out, corev1.LoadBalancerIngress{IP: a.String(), IPMode: &mode})
	}
	return out
}

// writeIngress sets the status ingress of svc and returns the updated
// Service.
func (c *Controller) writeIngress(ctx context.Context, svc *corev1.Service, in []corev1.LoadBalancerIngress) (*corev1.Service, error) {
	cur := svc.DeepCopy()
	cur.Status.LoadBalancer.Ingress = in
	updated, err := c.client.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("update status of service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return updated, nil
}

// cleanup releases the address of a Service that is deleted or no longer
// a LoadBalancer, clears its status and removes the finalizer.
func (c *Controller) cleanup(ctx context.Context, key string, svc *corev1.Service) error {
	if !hasFinalizer(svc) {
		c.release(key)
		return nil
	}
	c.recorder.Event(svc, corev1.EventTypeNormal, ReasonDeleting, "Deleting load balancer")
	if len(svc.Status.LoadBalancer.Ingress) > 0 {
		updated, err := c.writeIngress(ctx, svc, nil)
		if err != nil {
			return notFoundOK(err)
		}
		svc = updated
	}
	c.release(key)
	fresh := svc.DeepCopy()
	fresh.Finalizers = slices.DeleteFunc(fresh.Finalizers, func(f string) bool { return f == Finalizer })
	if _, err := c.client.CoreV1().Services(svc.Namespace).Update(ctx, fresh, metav1.UpdateOptions{}); err != nil {
		return notFoundOK(fmt.Errorf("remove finalizer from service %s: %w", key, err))
	}
	c.recorder.Event(svc, corev1.EventTypeNormal, ReasonDeleted, "Deleted load balancer")
	return nil
}

// release frees key's pool address and retries the Services that may be
// waiting for one.
func (c *Controller) release(key string) {
	if c.alloc == nil || !c.alloc.release(key) {
		return
	}
	c.metrics.allocated.Set(float64(c.alloc.allocated()))
	c.enqueueAll()
}

// notFoundOK drops err when the Service is already gone.
func notFoundOK(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
