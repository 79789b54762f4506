package endpointslice

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/controller/podendpoint"
)

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	have, err := c.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{
		discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: ManagedBy}))
	if err != nil {
		return err
	}
	svc, err := c.services.Services(ns).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		return c.write(ctx, nil, nil, have)
	case err != nil:
		return err
	case !podendpoint.Managed(svc):
		return nil
	}
	pods, err := c.pods.Pods(ns).List(labels.SelectorFromValidatedSet(svc.Spec.Selector))
	if err != nil {
		return err
	}
	var eps []podendpoint.Endpoint
	for _, p := range pods {
		if e, ok := podendpoint.For(svc, p, true); ok {
			eps = append(eps, e)
		}
	}
	update, create, del := plan(have, desiredSlices(svc, eps, c.zone, c.MaxEndpoints))
	return c.write(ctx, update, create, del)
}

func (c *Controller) zone(node string) string {
	n, err := c.nodes.Get(node)
	if err != nil {
		return ""
	}
	return n.Labels[corev1.LabelTopologyZone]
}

// write creates, updates and deletes slices; creates go after updates so
// that endpoints moving between slices are not briefly doubled.
func (c *Controller) write(ctx context.Context, update, create, del []*discoveryv1.EndpointSlice) error {
	var errs []error
	api := c.client.DiscoveryV1().EndpointSlices
	for _, s := range update {
		_, err := api(s.Namespace).Update(ctx, s, metav1.UpdateOptions{})
		errs = append(errs, c.count("update", err))
	}
	for _, s := range create {
		_, err := api(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			err = nil
		}
		errs = append(errs, c.count("create", err))
	}
	for _, s := range del {
		err := api(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			err = nil
		}
		errs = append(errs, c.count("delete", err))
	}
	return errors.Join(errs...)
}

func (c *Controller) count(op string, err error) error {
	if err == nil {
		c.metrics.writes.WithLabelValues(op).Inc()
	}
	return err
}
