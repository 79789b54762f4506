package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/manager"
)

// ControllersOptions size the controller manager benchmark.
type ControllersOptions struct {
	Nodes    int    // hollow nodes the server runs
	Replicas int    // the Deployment's replicas
	Binary   string // skiff executable the server runs from; empty: this one
	DataDir  string // empty: a temporary directory
	// NodeMonitorGracePeriod is the node lifecycle controller's; 0 keeps
	// its default. Raising it keeps pods on hollow nodes whose leases fall
	// behind on a loaded machine from being evicted mid-run.
	NodeMonitorGracePeriod time.Duration
	Timeout                time.Duration // the whole run; 0: none
}

// DefaultControllersOptions are the scale: 10,000 replicas on
// 1,000 hollow nodes.
func DefaultControllersOptions() ControllersOptions {
	return ControllersOptions{Nodes: 1000, Replicas: 10000, Timeout: time.Hour}
}

// RunControllers starts `skiff server --disable-controller-manager` with
// hollow nodes as a child process and runs the controller manager in
// this process, so that the two are measured apart. It then creates a
// Deployment and rolls it to a new image, measuring each phase.
func RunControllers(ctx context.Context, opts ControllersOptions, out io.Writer) (*ControllersReport, error) {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	dir, removeDir, err := workDir(opts.DataDir, "skiff-bench-controllers")
	if err != nil {
		return nil, err
	}
	defer removeDir()
	p, err := newServerProc(dir)
	if err != nil {
		return nil, err
	}
	p.bin = opts.Binary
	p.extraArgs = []string{"--disable-controller-manager", "--hollow-nodes", strconv.Itoa(opts.Nodes)}
	fmt.Fprintf(out, "starting skiff server with %d hollow nodes ...\n", opts.Nodes)
	if _, err := p.start(ctx); err != nil {
		return nil, err
	}
	defer p.stop()
	cfg, err := p.restConfig()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	if err := startControllerManager(ctx, cfg, opts, out, &wg); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "waiting for %d nodes ...\n", opts.Nodes)
	if err := waitNodesReady(ctx, client, opts.Nodes, out); err != nil {
		return nil, err
	}
	r := &ControllersReport{Nodes: opts.Nodes, Replicas: opts.Replicas}
	pids := []int{os.Getpid(), p.cmd.Process.Pid}
	deploys := client.AppsV1().Deployments(metav1.NamespaceDefault)
	phases := []struct {
		name  string
		image string
		act   func() error
	}{
		{"create", benchImage, func() error {
			_, err := deploys.Create(ctx, newBenchDeployment(opts.Replicas), metav1.CreateOptions{})
			return err
		}},
		{"rolling update", rolloutImage, func() error {
			patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, rolloutImage)
			_, err := deploys.Patch(ctx, benchDeployment, types.JSONPatchType, []byte(patch), metav1.PatchOptions{})
			return err
		}},
	}
	for _, ph := range phases {
		fmt.Fprintf(out, "%s: %d replicas ...\n", ph.name, opts.Replicas)
		wall, figs, err := measure(pids, func() error {
			if err := ph.act(); err != nil {
				return err
			}
			return waitDeployment(ctx, client, ph.name, out, rolledOut)
		})
		if err != nil {
			return r, fmt.Errorf("%s: %w", ph.name, err)
		}
		res := PhaseReport{Name: ph.name, Seconds: wall.Seconds(), PodsPerSec: float64(opts.Replicas) / wall.Seconds(),
			Controllers: figs[0], Server: figs[1]}
		if res.Pods, res.OldPods, err = countPods(ctx, client, ph.image); err != nil {
			return r, err
		}
		fmt.Fprintf(out, "%s done in %.1fs\n", ph.name, wall.Seconds())
		r.Phases = append(r.Phases, res)
	}
	return r, nil
}

// startControllerManager runs every controller in this process with the
// client limits the server gives its own controller manager.
func startControllerManager(ctx context.Context, cfg *rest.Config, opts ControllersOptions, out io.Writer, wg *sync.WaitGroup) error {
	cm := rest.CopyConfig(cfg)
	cm.QPS, cm.Burst = 500, 1000
	o := controllerctx.Defaults()
	if opts.NodeMonitorGracePeriod > 0 {
		o.NodeMonitorGracePeriod = opts.NodeMonitorGracePeriod
	}
	m, err := manager.New(manager.Config{REST: cm, Options: o,
		Log: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return err
	}
	wg.Go(func() {
		if err := m.Run(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "controller manager: %v\n", err)
		}
	})
	return nil
}
