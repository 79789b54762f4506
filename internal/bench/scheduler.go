package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/scheduler"
	"github.com/skiff-sh/skiff/internal/server"
)

// benchSchedulerName keeps the benchmark's pods away from any scheduler
// the server itself runs.
const benchSchedulerName = "bench-scheduler"

// SchedulerOptions size the scheduler benchmark.
type SchedulerOptions struct {
	Nodes   int // nodes created (32 cpu, 256Gi, 110 pods, 3 zones)
	Pods    int // pods created, 100m cpu and 128Mi each
	Clients int // concurrent creators
	// PercentageOfNodesToScore is passed to the scheduler (0: adaptive).
	PercentageOfNodesToScore int32
	DataDir                  string // empty: a temporary directory
}

// DefaultSchedulerOptions fit a 2-core machine in a few minutes; --pods
// 150000 works too, given time.
func DefaultSchedulerOptions() SchedulerOptions {
	return SchedulerOptions{Nodes: 5000, Pods: 30000, Clients: 32}
}

// SchedulerReport holds the scheduler benchmark's figures.
type SchedulerReport struct {
	Nodes           int     `json:"nodes"`
	Pods            int     `json:"pods"`
	Scheduled       int     `json:"scheduled"`
	CreateSeconds   float64 `json:"createSeconds"`
	ScheduleSeconds float64 `json:"scheduleSeconds"`
	PodsPerSec      float64 `json:"podsPerSec"`
	E2EP50Ms        float64 `json:"e2eP50Ms"`
	E2EP99Ms        float64 `json:"e2eP99Ms"`
	NodesUsed       int     `json:"nodesUsed"`
	MaxPodsPerNode  int     `json:"maxPodsPerNode"`
}

// RunScheduler starts a control plane in-process, creates the nodes, runs
// a scheduler and measures how fast it places the pods: throughput from
// the first create to the last binding seen by a watch, and each pod's
// latency from its create call to its binding.
func RunScheduler(ctx context.Context, opts SchedulerOptions, out io.Writer) (*SchedulerReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg, stop, err := startServer(ctx, opts.DataDir)
	if err != nil {
		return nil, err
	}
	defer stop()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "creating %d nodes ...\n", opts.Nodes)
	if err := createNodes(ctx, client, opts); err != nil {
		return nil, err
	}
	sched, err := scheduler.New(scheduler.Config{Client: client, SchedulerName: benchSchedulerName, PercentageOfNodesToScore: opts.PercentageOfNodesToScore})
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		if err := sched.Run(ctx); err != nil {
			fmt.Fprintf(out, "scheduler: %v\n", err)
		}
	})
	w := newBindWatch(client, opts.Pods)
	wg.Go(func() { w.run(ctx) })
	if !cache.WaitForCacheSync(ctx.Done(), w.synced) {
		return nil, ctx.Err()
	}
	fmt.Fprintf(out, "creating %d pods with %d clients ...\n", opts.Pods, opts.Clients)
	start := time.Now()
	if err := createBenchPods(ctx, client, opts, w); err != nil {
		return nil, err
	}
	created := time.Since(start)
	fmt.Fprintf(out, "created in %.1fs, waiting for bindings ...\n", created.Seconds())
	if err := w.wait(ctx, out); err != nil {
		return nil, err
	}
	return w.report(opts, start, created), nil
}

// startServer runs a server on free loopback ports, without controllers.
func startServer(ctx context.Context, dir string) (*rest.Config, func(), error) {
	cleanup := func() {}
	if dir == "" {
		d, err := os.MkdirTemp("", "skiff-bench-scheduler")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = d, func() { os.RemoveAll(d) }
	}
	etcdClient, err := freeAddr()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	etcdPeer, err := freeAddr()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	cfg := server.Config{DataDir: dir, DisableControllerManager: true, Listener: ln, SecurePort: ln.Addr().(*net.TCPAddr).Port,
		EtcdClientURL: "http://" + etcdClient, EtcdPeerURL: "http://" + etcdPeer}
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	sctx, scancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	stop := func() { scancel(); <-done; cleanup() }
	select {
	case <-srv.Ready():
	case err := <-done:
		scancel()
		cleanup()
		return nil, nil, fmt.Errorf("server: %w", err)
	}
	rc := srv.AdminRESTConfig()
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.QPS, rc.Burst = 100000, 100000
	return rc, stop, nil
}

// parallel runs fn(i) for i in [0, n) on workers goroutines, stopping at
// the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func createNodes(ctx context.Context, client kubernetes.Interface, opts SchedulerOptions) error {
	zones := []string{"zone-a", "zone-b", "zone-c"}
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("110")}
	return parallel(ctx, opts.Nodes, opts.Clients, func(i int) error {
		name := fmt.Sprintf("bench-node-%05d", i)
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			corev1.LabelHostname: name, corev1.LabelTopologyZone: zones[i%len(zones)],
		}}}
		n, err := client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
		n.Status = corev1.NodeStatus{Capacity: rl, Allocatable: rl,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: metav1.Now()}}}
		if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("node %s status: %w", name, err)
		}
		return nil
	})
}

func createBenchPods(ctx context.Context, client kubernetes.Interface, opts SchedulerOptions, w *bindWatch) error {
	req := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
	return parallel(ctx, opts.Pods, opts.Clients, func(i int) error {
		name := fmt.Sprintf("bench-pod-%06d", i)
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
			Spec: corev1.PodSpec{SchedulerName: benchSchedulerName, Containers: []corev1.Container{{
				Name: "c", Image: "registry.k8s.io/pause:3.10", Resources: corev1.ResourceRequirements{Requests: req},
			}}},
		}
		w.created(name, time.Now())
		if _, err := client.CoreV1().Pods(metav1.NamespaceDefault).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create pod %s: %w", name, err)
		}
		return nil
	})
}

// bindWatch records when each pod was created and when a watch first saw
// it bound.
type bindWatch struct {
	informer cache.SharedIndexInformer
	factory  informers.SharedInformerFactory
	mu       sync.Mutex
	createAt map[string]time.Time
	boundAt  map[string]time.Time
	perNode  map[string]int
	want     int
	done     chan struct{}
}

func newBindWatch(client kubernetes.Interface, want int) *bindWatch {
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(metav1.NamespaceDefault))
	w := &bindWatch{factory: f, informer: f.Core().V1().Pods().Informer(), createAt: map[string]time.Time{},
		boundAt: map[string]time.Time{}, perNode: map[string]int{}, want: want, done: make(chan struct{})}
	_, _ = w.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    w.observe,
		UpdateFunc: func(_, obj any) { w.observe(obj) },
	})
	return w
}

func (w *bindWatch) synced() bool { return w.informer.HasSynced() }

func (w *bindWatch) run(ctx context.Context) {
	w.factory.Start(ctx.Done())
	<-ctx.Done()
	w.factory.Shutdown()
}

func (w *bindWatch) created(name string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.createAt[name] = at
}

func (w *bindWatch) observe(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.boundAt[p.Name]; seen {
		return
	}
	w.boundAt[p.Name] = now
	w.perNode[p.Spec.NodeName]++
	if len(w.boundAt) == w.want {
		close(w.done)
	}
}

// wait returns once every pod is bound, printing progress every 5 s; it
// gives up after a minute without progress.
func (w *bindWatch) wait(ctx context.Context, out io.Writer) error {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	last, stalled := -1, 0
	for {
		select {
		case <-w.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			w.mu.Lock()
			n := len(w.boundAt)
			w.mu.Unlock()
			fmt.Fprintf(out, "      %d/%d bound\n", n, w.want)
			if n == last {
				stalled++
			} else {
				stalled = 0
			}
			if stalled >= 12 {
				return fmt.Errorf("no progress for a minute: %d/%d pods bound", n, w.want)
			}
			last = n
		}
	}
}

func (w *bindWatch) report(opts SchedulerOptions, start time.Time, created time.Duration) *SchedulerReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := &SchedulerReport{Nodes: opts.Nodes, Pods: opts.Pods, Scheduled: len(w.boundAt), CreateSeconds: created.Seconds(), NodesUsed: len(w.perNode)}
	var lastBound time.Time
	lat := make([]time.Duration, 0, len(w.boundAt))
	for name, at := range w.boundAt {
		if at.After(lastBound) {
			lastBound = at
		}
		if c, ok := w.createAt[name]; ok {
			lat = append(lat, at.Sub(c))
		}
	}
	for _, n := range w.perNode {
		r.MaxPodsPerNode = max(r.MaxPodsPerNode, n)
	}
	r.ScheduleSeconds = lastBound.Sub(start).Seconds()
	if r.ScheduleSeconds > 0 {
		r.PodsPerSec = float64(r.Scheduled) / r.ScheduleSeconds
	}
	r.E2EP50Ms, r.E2EP99Ms = ms(percentile(lat, 50)), ms(percentile(lat, 99))
	return r
}

// WriteJSON writes the report to path.
func (r *SchedulerReport) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Print writes the report as a table.
func (r *SchedulerReport) Print(w io.Writer) {
	rows := [][2]string{
		{"nodes / pods", fmt.Sprintf("%d / %d", r.Nodes, r.Pods)},
		{"pods scheduled", fmt.Sprintf("%d", r.Scheduled)},
		{"pod creation", fmt.Sprintf("%.1f s", r.CreateSeconds)},
		{"first create to last binding", fmt.Sprintf("%.1f s", r.ScheduleSeconds)},
		{"scheduling throughput", fmt.Sprintf("%.0f pods/s", r.PodsPerSec)},
		{"create-to-bound latency p50 / p99", fmt.Sprintf("%.1f / %.1f ms", r.E2EP50Ms, r.E2EP99Ms)},
		{"nodes used / most pods on one node", fmt.Sprintf("%d / %d", r.NodesUsed, r.MaxPodsPerNode)},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-40s %s\n", row[0], row[1])
	}
}
