package hollow

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
)

// Config describes a fleet of identical hollow nodes.
type Config struct {
	Client kubernetes.Interface
	// Count is the number of nodes.
	Count int
	// NamePrefix names the nodes NamePrefix0, NamePrefix1, ... Default "hollow-node-".
	NamePrefix string
	// CPU, Memory and Pods are each node's capacity (allocatable is the
	// same). Defaults 4, 16Gi and 110.
	CPU, Memory string
	Pods        int
	// Zones are assigned round-robin as topology.kubernetes.io/zone;
	// empty means no zone label.
	Zones []string
	// Labels are added to every node.
	Labels map[string]string
	// LeaseInterval is how often each node renews its Lease. Default 10s.
	LeaseInterval time.Duration
	// Workers run pod transitions. Default 8.
	Workers int
	// Runtime decides what a pod does; default InstantRuntime.
	Runtime PodRuntime
	Log     *slog.Logger
}

// PodRuntime turns a pod bound to a hollow node into its next status.
type PodRuntime interface {
	// Start returns the status of a pod that has just been started on node.
	Start(pod *corev1.Pod, node string, podIP string, now time.Time) corev1.PodStatus
}

// Fleet runs the nodes. New fills defaults and starts nothing; Run
// registers the nodes, serves their pods and renews their leases until ctx
// ends, and returns nil then.
type Fleet struct {
	cfg   Config
	nodes map[string]*nodeState
	queue workqueue.TypedRateLimitingInterface[string]
}

type nodeState struct {
	index int
	mu    sync.Mutex
	cidr  netip.Prefix
	next  uint32 // next pod IP offset
}

// New returns a fleet for cfg.
func New(cfg Config) (*Fleet, error) {
	if cfg.Client == nil || cfg.Count < 0 {
		return nil, fmt.Errorf("hollow: a client and a non-negative count are required")
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.NamePrefix, "hollow-node-")
	def(&cfg.CPU, "4")
	def(&cfg.Memory, "16Gi")
	if cfg.Pods == 0 {
		cfg.Pods = 110
	}
	if cfg.LeaseInterval == 0 {
		cfg.LeaseInterval = 10 * time.Second
	}
	if cfg.Workers == 0 {
		cfg.Workers = 8
	}
	if cfg.Runtime == nil {
		cfg.Runtime = InstantRuntime{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	for _, q := range []string{cfg.CPU, cfg.Memory} {
		if _, err := resource.ParseQuantity(q); err != nil {
			return nil, fmt.Errorf("hollow: capacity %q: %w", q, err)
		}
	}
	f := &Fleet{cfg: cfg, nodes: map[string]*nodeState{}}
	for i := 0; i < cfg.Count; i++ {
		f.nodes[f.name(i)] = &nodeState{index: i, cidr: fallbackCIDR(i)}
	}
	return f, nil
}

func (f *Fleet) name(i int) string { return fmt.Sprintf("%s%d", f.cfg.NamePrefix, i) }

// NodeNames lists the fleet's node names in index order.
func (f *Fleet) NodeNames() []string {
	names := make([]string, f.cfg.Count)
	for i := range names {
		names[i] = f.name(i)
	}
	return names
}

// Run registers every node, then serves pods and leases until ctx ends.
func (f *Fleet) Run(ctx context.Context) error {
	if err := f.registerAll(ctx); err != nil {
		return err
	}
	f.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer f.queue.ShutDown()
	factory := informers.NewSharedInformerFactoryWithOptions(f.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermNotEqualSelector("spec.nodeName", "").String()
		}))
	pods := factory.Core().V1().Pods()
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    f.enqueue,
		UpdateFunc: func(_, obj any) { f.enqueue(obj) },
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), pods.Informer().HasSynced) {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { <-gctx.Done(); f.queue.ShutDown(); return nil })
	for i := 0; i < f.cfg.Workers; i++ {
		g.Go(func() error { f.work(gctx, pods.Lister().Pods); return nil })
	}
	g.Go(func() error { f.renewLeases(gctx); return nil })
	return g.Wait()
}

// enqueue adds pods of this fleet's nodes.
func (f *Fleet) enqueue(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || f.nodes[pod.Spec.NodeName] == nil {
		return
	}
	if key, err := cache.MetaNamespaceKeyFunc(pod); err == nil {
		f.queue.Add(key)
	}
}

func (f *Fleet) registerAll(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := 0; i < f.cfg.Count; i++ {
		g.Go(func() error { return f.register(gctx, i) })
	}
	return g.Wait()
}

// register creates or refreshes node i and its lease.
func (f *Fleet) register(ctx context.Context, i int) error {
	node := f.nodeObject(i)
	created, err := f.cfg.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = f.cfg.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("register node %s: %w", node.Name, err)
	}
	// Node IPAM may write the node in between: retry with the current one.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := f.cfg.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status = node.Status
		_, err = f.cfg.Client.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("node %s status: %w", node.Name, err)
	}
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: created.UID}
	return f.renewLease(ctx, node.Name, owner)
}

// renewLease updates the node's lease, creating it (owned by the Node
// when owner is known) if it is missing.
func (f *Fleet) renewLease(ctx context.Context, node string, owner *metav1.OwnerReference) error {
	leases := f.cfg.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	secs := int32(40)
	lease, err := leases.Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: node, Namespace: corev1.NamespaceNodeLease}}
		if owner != nil {
			lease.OwnerReferences = []metav1.OwnerReference{*owner}
		}
		lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: &node, LeaseDurationSeconds: &secs, RenewTime: &now}
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.RenewTime = &node, &secs, &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

// leaseWorkers bounds the lease renewals in flight. One at a time cannot
// keep up with a thousand nodes on a loaded server (each renewal is a GET
// and an UPDATE): leases expired and the node lifecycle controller
// evicted pods from healthy hollow nodes.
const leaseWorkers = 32

// renewLeases renews every node's lease each interval, spread over the
// interval so that thousands of nodes do not write at once; when the
// server is slow, renewals run concurrently up to leaseWorkers and the
// schedule waits for a free worker rather than skipping a node.
func (f *Fleet) renewLeases(ctx context.Context) {
	if f.cfg.Count == 0 {
		<-ctx.Done()
		return
	}
	step := f.cfg.LeaseInterval / time.Duration(f.cfg.Count)
	t := time.NewTicker(max(step, time.Millisecond))
	defer t.Stop()
	sem := make(chan struct{}, leaseWorkers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i = (i + 1) % f.cfg.Count {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func(node string) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f.renewLease(ctx, node, nil); err != nil && ctx.Err() == nil {
				f.cfg.Log.Warn("renew lease", "node", node, "err", err)
			}
		}(f.name(i))
	}
}
