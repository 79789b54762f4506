package ingress

import (
	"context"
	"errors"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// retryAfter is how long a failed sync (IngressClass or status write) waits
// before it is tried again without any new event.
const retryAfter = 5 * time.Second

func (r *Router) markDirty() {
	select {
	case r.dirty <- struct{}{}:
	default:
	}
}

// loop rebuilds the table after each burst of changes until ctx ends.
func (r *Router) loop(ctx context.Context) {
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.dirty:
		case <-retry:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(debounce):
		}
		select {
		case <-r.dirty:
		default:
		}
		retry = nil
		if err := r.sync(ctx); err != nil {
			r.log.Warn("ingress sync", "err", err)
			retry = time.After(retryAfter)
		}
	}
}

// sync ensures the IngressClass, swaps in a table built from the caches and
// writes the Ingresses' status. The table is swapped even when the rest
// fails.
func (r *Router) sync(ctx context.Context) error {
	var classErr error
	if !r.classEnsured {
		classErr = ensureClass(ctx, r.cfg.Client)
		r.classEnsured = classErr == nil
	}
	mine, err := r.servedIngresses()
	if err != nil {
		return err
	}
	r.table.Store(r.builder.build(mine))
	nodes, err := r.store.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	return errors.Join(classErr, r.writeStatus(ctx, mine, nodeAddresses(nodes)))
}

func (r *Router) servedIngresses() ([]*networkingv1.Ingress, error) {
	all, err := r.store.ingresses.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	def := isDefaultClass(r.store.classes)
	var mine []*networkingv1.Ingress
	for _, ing := range all {
		if served(ing, def) {
			mine = append(mine, ing)
		}
	}
	return mine, nil
}
