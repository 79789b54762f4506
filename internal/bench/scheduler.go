package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/server"
)

// benchSchedulerName keeps the benchmark's pods away from any other
// scheduler.
const benchSchedulerName = "bench-scheduler"

// SchedulerCase is one measured scheduling workload.
type SchedulerCase struct {
	Name  string
	Nodes int // nodes created (32 cpu, 256Gi, 110 pods, 3 zones)
	Pods  int // pods created, 100m cpu and 128Mi each
	// Spread gives every pod a zone topology spread constraint
	// (maxSkew 1, DoNotSchedule) over all the benchmark's pods.
	Spread bool
}

// The cases, by name.
var schedulerCases = []SchedulerCase{
	{Name: "a", Nodes: 5000, Pods: 10000},
	{Name: "b", Nodes: 5000, Pods: 10000, Spread: true},
	{Name: "c", Nodes: 1000, Pods: 30000},
}

// SchedulerCases returns the cases named by sel: "a", "b", "c", a
// comma-separated list of them, or "all".
func SchedulerCases(sel string) ([]SchedulerCase, error) {
	if sel == "all" {
		return schedulerCases, nil
	}
	var out []SchedulerCase
	for _, name := range strings.Split(sel, ",") {
		i := slices.IndexFunc(schedulerCases, func(c SchedulerCase) bool { return c.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown case %q: want a, b, c or all", name)
		}
		out = append(out, schedulerCases[i])
	}
	return out, nil
}

// SchedulerOptions configure the scheduler benchmark.
type SchedulerOptions struct {
	Cases   []SchedulerCase
	Clients int // concurrent creators of nodes and pods
	// PercentageOfNodesToScore is passed to the scheduler (0: adaptive).
	PercentageOfNodesToScore int32
	DataDir                  string // empty: a temporary directory per case
	// CPUProfile, when set, keeps each case's CPU profile: the file name
	// gets "-<case>" before its extension when there are several cases.
	CPUProfile string
}

// DefaultSchedulerOptions run every case of the issue.
func DefaultSchedulerOptions() SchedulerOptions {
	return SchedulerOptions{Cases: schedulerCases, Clients: 32}
}

// RunScheduler runs each case on a fresh control plane and returns their
// reports, printing progress to out.
func RunScheduler(ctx context.Context, opts SchedulerOptions, out io.Writer) ([]*SchedulerReport, error) {
	var reports []*SchedulerReport
	for _, c := range opts.Cases {
		fmt.Fprintf(out, "case %s: %d nodes, %d pods%s\n", c.Name, c.Nodes, c.Pods, map[bool]string{true: ", zone spread"}[c.Spread])
		r, err := runSchedulerCase(ctx, opts, c, out)
		if err != nil {
			return reports, fmt.Errorf("case %s: %w", c.Name, err)
		}
		reports = append(reports, r)
	}
	return reports, nil
}

// profilePath is where case c's CPU profile goes, "" for nowhere.
func (o SchedulerOptions) profilePath(c SchedulerCase) string {
	if o.CPUProfile == "" || len(o.Cases) == 1 {
		return o.CPUProfile
	}
	ext := ""
	if i := strings.LastIndexByte(o.CPUProfile, '.'); i > strings.LastIndexByte(o.CPUProfile, '/') {
		ext = o.CPUProfile[i:]
	}
	return strings.TrimSuffix(o.CPUProfile, ext) + "-" + c.Name + ext
}

// startServer runs an API server alone (no scheduler, no controllers) in
// this process on free loopback ports.
func startServer(ctx context.Context, dir string) (*rest.Config, func(), error) {
	dir, cleanup, err := workDir(dir, "skiff-bench-scheduler")
	if err != nil {
		return nil, nil, err
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
	cfg := server.Config{DataDir: dir, DisableControllerManager: true, DisableScheduler: true, Listener: ln,
		SecurePort: ln.Addr().(*net.TCPAddr).Port, EtcdClientURL: "http://" + etcdClient, EtcdPeerURL: "http://" + etcdPeer}
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
