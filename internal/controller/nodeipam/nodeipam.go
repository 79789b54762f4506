package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/retry"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// Controller allocates node pod CIDRs; its queue holds node names.
type Controller struct {
	client   kubernetes.Interface
	lister   corelisters.NodeLister
	synced   cache.InformerSynced
	cidrs    *CIDRSet
	recorder record.EventRecorder
	pool     worker.Pool
	metrics  *metrics
	log      *slog.Logger
}

// New builds the node IPAM controller for Options.ClusterCIDR.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	cidrs, err := NewCIDRSet(cc.Options.ClusterCIDR, cc.Options.NodeCIDRMaskSize)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	nodes := cc.Informers.Core().V1().Nodes()
	c := &Controller{
		client: cc.Client, lister: nodes.Lister(), synced: nodes.Informer().HasSynced,
		cidrs: cidrs, recorder: cc.Recorder("node-ipam-controller"), metrics: m,
		log: cc.Log.With("controller", "nodeipam"),
	}
	queue := worker.NewQueue("nodeipam")
	if _, err := nodes.Informer().AddEventHandler(worker.KeyHandler(queue.Add)); err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "nodeipam", Queue: queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: []cache.InformerSynced{c.synced}, Metrics: m.sync, Log: c.log,
	}
	return c, nil
}

// Run marks the CIDRs existing nodes hold, then allocates until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		c.pool.Queue.ShutDown()
		return nil
	}
	nodes, err := c.lister.List(labels.Everything())
	if err != nil {
		return err
	}
	for _, n := range nodes {
		c.occupy(n)
	}
	return c.pool.Run(ctx)
}

// occupy marks the CIDRs of node as used; it reports whether node has any.
func (c *Controller) occupy(node *corev1.Node) bool {
	for _, s := range podCIDRs(node) {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Is4() != c.cidrs.cluster.Addr().Is4() {
			continue
		}
		if !c.cidrs.Occupy(node.Name, p) {
			c.log.Warn("node holds a pod CIDR outside the cluster CIDR or another node's", "node", node.Name, "cidr", s)
		}
	}
	c.metrics.allocated.Set(float64(c.cidrs.Len()))
	return len(podCIDRs(node)) > 0
}

func podCIDRs(node *corev1.Node) []string {
	if len(node.Spec.PodCIDRs) > 0 {
		return node.Spec.PodCIDRs
	}
	if node.Spec.PodCIDR != "" {
		return []string{node.Spec.PodCIDR}
	}
	return nil
}

// sync gives node name a pod CIDR if it has none, and frees the CIDR of a
// deleted node.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		c.cidrs.Release(name)
		c.metrics.allocated.Set(float64(c.cidrs.Len()))
		return nil
	}
	if err != nil {
		return err
	}
	if c.occupy(node) {
		return nil
	}
	p, err := c.cidrs.Allocate(name)
	if errors.Is(err, ErrCIDRRangeFull) {
		c.metrics.full.Inc()
		c.recorder.Eventf(node, corev1.EventTypeNormal, "CIDRNotAvailable", "Node %s status is now: CIDRNotAvailable", name)
		return fmt.Errorf("allocate pod CIDR for node %s: %w", name, err)
	}
	if err != nil {
		return err
	}
	stored, err := c.write(ctx, name, p)
	if !stored {
		// Freed until the informer shows the node's own CIDR, if any.
		c.cidrs.Release(name)
	}
	if err != nil {
		return err
	}
	c.metrics.allocated.Set(float64(c.cidrs.Len()))
	return nil
}

// write stores p as the node's pod CIDR unless the node got one or was
// deleted meanwhile; it reports whether p was stored.
func (c *Controller) write(ctx context.Context, name string, p netip.Prefix) (bool, error) {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(podCIDRs(node)) > 0 {
			return errHasCIDR
		}
		node.Spec.PodCIDR, node.Spec.PodCIDRs = p.String(), []string{p.String()}
		_, err = c.client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
		return err
	})
	switch {
	case errors.Is(err, errHasCIDR), apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("set pod CIDR of node %s: %w", name, err)
	}
	return true, nil
}

var errHasCIDR = errors.New("node already has a pod CIDR")
