package ingress

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/nodeaddr"
)

// nodeAddresses is the load-balancer status of every served Ingress: the
// InternalIP of each node that fronts load balancers, as LoadBalancer
// Services get them. Every agent computes the same value, so agents never
// overwrite each other.
func nodeAddresses(nodes []*corev1.Node) []networkingv1.IngressLoadBalancerIngress {
	var out []networkingv1.IngressLoadBalancerIngress
	for _, ip := range nodeaddr.LoadBalancerAddrs(nodes) {
		out = append(out, networkingv1.IngressLoadBalancerIngress{IP: ip.String()})
	}
	return out
}

// writeStatus updates the Ingresses whose status differs from want.
func (r *Router) writeStatus(ctx context.Context, ings []*networkingv1.Ingress, want []networkingv1.IngressLoadBalancerIngress) error {
	var errs []error
	for _, ing := range ings {
		if slices.EqualFunc(ing.Status.LoadBalancer.Ingress, want, lbEqual) {
			continue
		}
		up := ing.DeepCopy()
		up.Status.LoadBalancer.Ingress = want
		if _, err := r.cfg.Client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, up, metav1.UpdateOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("update status of ingress %s/%s: %w", ing.Namespace, ing.Name, err))
		}
	}
	return errors.Join(errs...)
}

func lbEqual(a, b networkingv1.IngressLoadBalancerIngress) bool {
	return a.IP == b.IP && a.Hostname == "" && b.Hostname == "" && len(a.Ports) == 0 && len(b.Ports) == 0
}
