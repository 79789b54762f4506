package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/scheduler"
)

// The pprof label on every goroutine of the scheduler under test, so that
// its CPU time can be told from the API server's and etcd's in the same
// process.
const (
	profLabel      = "skiff"
	profLabelValue = "scheduler"
)

// benchZones are the nodes' zones, node i in benchZones[i%3].
var benchZones = []string{"zone-a", "zone-b", "zone-c"}

// runSchedulerCase creates the nodes and all the pods first, then starts
// the scheduler and measures how fast it binds them: the figures are the
// scheduler's, not pod creation's.
func runSchedulerCase(ctx context.Context, opts SchedulerOptions, c SchedulerCase, out io.Writer) (*SchedulerReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := opts.DataDir
	if dir != "" {
		dir = filepath.Join(dir, c.Name)
	}
	cfg, stop, err := startServer(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer stop()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "  creating %d nodes ...\n", c.Nodes)
	if err := createNodes(ctx, client, c.Nodes, opts.Clients); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "  creating %d pods with %d clients ...\n", c.Pods, opts.Clients)
	createStart := time.Now()
	if err := createBenchPods(ctx, client, c, opts.Clients); err != nil {
		return nil, err
	}
	created := time.Since(createStart)
	w := newBindWatch(client, c.Pods)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { w.run(ctx) })
	if !cache.WaitForCacheSync(ctx.Done(), w.synced) {
		return nil, ctx.Err()
	}

	var prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		return nil, err
	}
	profiling := true
	defer func() {
		if profiling {
			pprof.StopCPUProfile()
		}
	}()
	reg := prometheus.NewRegistry()
	fmt.Fprintf(out, "  created in %.1fs; scheduling ...\n", created.Seconds())
	start := time.Now()
	if err := startScheduler(ctx, &wg, cfg, opts, reg, out); err != nil {
		return nil, err
	}
	if err := w.wait(ctx, out); err != nil {
		return nil, err
	}
	pprof.StopCPUProfile()
	profiling = false

	r := w.report(c, start)
	r.CreateSeconds = created.Seconds()
	if err := r.addLatency(reg); err != nil {
		return nil, err
	}
	if err := r.addProfile(prof.Bytes()); err != nil {
		return nil, fmt.Errorf("reading the CPU profile: %w", err)
	}
	if rss, err := peakRSS(); err == nil {
		r.PeakRSSMiB = mib(rss)
	}
	if path := opts.profilePath(c); path != "" {
		if err := os.WriteFile(path, prof.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// startScheduler runs a scheduler on its own connections, labelled for
// the profile, until ctx ends.
func startScheduler(ctx context.Context, wg *sync.WaitGroup, cfg *rest.Config, opts SchedulerOptions, reg *prometheus.Registry, out io.Writer) error {
	cfg = rest.CopyConfig(cfg)
	// A dialer of its own keeps client-go from sharing the benchmark's
	// transport, whose connection goroutines carry no label.
	cfg.Dial = (&net.Dialer{}).DialContext
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	sched, err := scheduler.New(scheduler.Config{Client: client, SchedulerName: benchSchedulerName,
		PercentageOfNodesToScore: opts.PercentageOfNodesToScore, Metrics: reg})
	if err != nil {
		return err
	}
	wg.Go(func() {
		pprof.Do(ctx, pprof.Labels(profLabel, profLabelValue), func(ctx context.Context) {
			if err := sched.Run(ctx); err != nil {
				fmt.Fprintf(out, "scheduler: %v\n", err)
			}
		})
	})
	return nil
}

func createNodes(ctx context.Context, client kubernetes.Interface, nodes, clients int) error {
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("110")}
	return parallel(ctx, nodes, clients, func(i int) error {
		name := fmt.Sprintf("bench-node-%05d", i)
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			corev1.LabelHostname: name, corev1.LabelTopologyZone: benchZones[i%len(benchZones)],
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

func createBenchPods(ctx context.Context, client kubernetes.Interface, c SchedulerCase, clients int) error {
	return parallel(ctx, c.Pods, clients, func(i int) error {
		p := benchSchedPod(fmt.Sprintf("bench-pod-%06d", i), c.Spread)
		if _, err := client.CoreV1().Pods(metav1.NamespaceDefault).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create pod %s: %w", p.Name, err)
		}
		return nil
	})
}

// benchSchedPod is a pause pod asking for 100m cpu and 128Mi, spread over
// the zones with the other benchmark pods when spread is set.
func benchSchedPod(name string, spread bool) *corev1.Pod {
	labels := map[string]string{"app": "bench"}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault, Labels: labels},
		Spec: corev1.PodSpec{SchedulerName: benchSchedulerName, Containers: []corev1.Container{{
			Name: "c", Image: "registry.k8s.io/pause:3.10", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
			}},
		}}},
	}
	if spread {
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
		}}
	}
	return p
}
