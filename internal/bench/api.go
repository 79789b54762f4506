package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/apiserver"
)

// APIOptions size the API benchmark.
type APIOptions struct {
	Creates     int           // pods created by the concurrent clients
	Clients     int           // concurrent clients
	ListSize    int           // pods in the namespace that is listed
	Watchers    int           // concurrent watches
	WatchWrites int           // writes observed by every watcher
	Idle        time.Duration // how long the idle footprint is observed
	DataDir     string        // empty: a temporary directory
}

// DefaultAPIOptions are the sizes the issue asks for.
func DefaultAPIOptions() APIOptions {
	return APIOptions{Creates: 5000, Clients: 16, ListSize: 10000, Watchers: 1000, WatchWrites: 200, Idle: time.Minute}
}

// APIReport holds every figure the API benchmark measures.
type APIReport struct {
	BinaryBytes        int64   `json:"binaryBytes"`
	ReadyFreshMs       float64 `json:"readyFreshMs"`
	ReadyRestartMs     float64 `json:"readyRestartMs"`
	IdleRSSMiB         float64 `json:"idleRSSMiB"`
	IdleCPUPercent     float64 `json:"idleCPUPercent"`
	CreatesPerSec      float64 `json:"podCreatesPerSec"`
	CreateP50Ms        float64 `json:"podCreateP50Ms"`
	CreateP99Ms        float64 `json:"podCreateP99Ms"`
	EtcdPutsPerSec     float64 `json:"etcdPutsPerSec"`
	RatioToEtcd        float64 `json:"ratioToEtcd"`
	ListPods           int     `json:"listPods"`
	ListCacheMs        float64 `json:"listFromCacheMs"`
	ListConsistentMs   float64 `json:"listConsistentMs"`
	Watchers           int     `json:"watchers"`
	WatchDeliveries    int     `json:"watchDeliveries"`
	WatchP50Ms         float64 `json:"watchDelayP50Ms"`
	WatchP99Ms         float64 `json:"watchDelayP99Ms"`
	RSSAfterRunMiB     float64 `json:"rssAfterRunMiB"`
	ServerCPUSecondsUp float64 `json:"serverCPUSeconds"`
}

// RunAPI runs the whole API benchmark against a fresh server and reports
// progress to out.
func RunAPI(ctx context.Context, opts APIOptions, out io.Writer) (*APIReport, error) {
	dir, removeDir, err := workDir(opts.DataDir, "skiff-bench")
	if err != nil {
		return nil, err
	}
	defer removeDir()
	p, err := newServerProc(dir)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	r := &APIReport{}
	if self, err := os.Executable(); err == nil {
		if st, err := os.Stat(self); err == nil {
			r.BinaryBytes = st.Size()
		}
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"start on a fresh data dir, idle footprint", func() error { return footprint(ctx, p, opts.Idle, r) }},
		{"restart as the API server alone for the load", func() error { return apiOnly(ctx, p) }},
		{fmt.Sprintf("%d pod creates, %d clients", opts.Creates, opts.Clients), func() error { return creates(ctx, p, opts, r) }},
		{"raw etcd puts, same etcd", func() error { return etcdPuts(ctx, p, opts, r) }},
		{fmt.Sprintf("LIST of %d pods", opts.ListSize), func() error { return lists(ctx, p, opts, r) }},
		{fmt.Sprintf("%d watchers", opts.Watchers), func() error { return watchers(ctx, p, opts, r) }},
	}
	for i, s := range steps {
		fmt.Fprintf(out, "[%d/%d] %s ...\n", i+1, len(steps), s.name)
		start := time.Now()
		if err := s.run(); err != nil {
			return r, fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(out, "      done in %.1fs\n", time.Since(start).Seconds())
	}
	u, err := p.usage()
	if err == nil {
		r.RSSAfterRunMiB, r.ServerCPUSecondsUp = mib(u.RSSBytes), u.CPU.Seconds()
	}
	return r, nil
}

// footprint measures readiness on a fresh dir, idle RSS and CPU, and
// readiness after a restart on the same dir.
func footprint(ctx context.Context, p *serverProc, idle time.Duration, r *APIReport) error {
	d, err := p.start(ctx)
	if err != nil {
		return err
	}
	r.ReadyFreshMs = ms(d)
	// Let start-up work (bootstrap objects, first compaction tick) settle.
	time.Sleep(2 * time.Second)
	before, err := p.usage()
	if err != nil {
		return err
	}
	select {
	case <-time.After(idle):
	case <-ctx.Done():
		return ctx.Err()
	}
	after, err := p.usage()
	if err != nil {
		return err
	}
	r.IdleRSSMiB = mib(after.RSSBytes)
	r.IdleCPUPercent = 100 * (after.CPU - before.CPU).Seconds() / idle.Seconds()
	p.stop()
	if d, err = p.start(ctx); err != nil {
		return err
	}
	r.ReadyRestartMs = ms(d)
	return nil
}

// apiOnly restarts the server without the scheduler and the controllers:
// thousands of unschedulable bench pods would otherwise keep them busy on
// the same two cores, and the load figures are meant to be the API
// server's, as kube-apiserver is measured alone.
func apiOnly(ctx context.Context, p *serverProc) error {
	p.stop()
	p.apiOnly = true
	_, err := p.start(ctx)
	return err
}

func benchPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench", "tier": "load"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.local/bench:1.0",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
			Env:   []corev1.EnvVar{{Name: "MODE", Value: "bench"}},
		}}},
	}
}

func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// createPods creates pods prefix-from..to with workers concurrent clients
// and returns each create's latency.
func createPods(ctx context.Context, cs kubernetes.Interface, ns, prefix string, from, to, workers int) ([]time.Duration, error) {
	var next atomic.Int64
	next.Store(int64(from))
	lat := make([][]time.Duration, workers)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= to || ctx.Err() != nil {
					return
				}
				start := time.Now()
				if _, err := cs.CoreV1().Pods(ns).Create(ctx, benchPod(fmt.Sprintf("%s-%06d", prefix, i)), metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
				lat[w] = append(lat[w], time.Since(start))
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return all, nil
}

func creates(ctx context.Context, p *serverProc, opts APIOptions, r *APIReport) error {
	cs, err := p.client()
	if err != nil {
		return err
	}
	if err := ensureNamespace(ctx, cs, "bench"); err != nil {
		return err
	}
	start := time.Now()
	lat, err := createPods(ctx, cs, "bench", "pod", 0, opts.Creates, opts.Clients)
	if err != nil {
		return err
	}
	r.CreatesPerSec = float64(len(lat)) / time.Since(start).Seconds()
	r.CreateP50Ms, r.CreateP99Ms = ms(percentile(lat, 50)), ms(percentile(lat, 99))
	return nil
}

// etcdPuts writes pod-sized protobuf values straight into the server's
// etcd with the same concurrency: the ceiling for creates.
func etcdPuts(ctx context.Context, p *serverProc, opts APIOptions, r *APIReport) error {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{p.etcdClient}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer c.Close()
	pod := benchPod("x")
	pod.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	val, err := encodeProto(pod)
	if err != nil {
		return err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < opts.Clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(opts.Creates) && ctx.Err() == nil; i = next.Add(1) {
				_, _ = c.Put(ctx, fmt.Sprintf("/bench/puts/%06d", i), string(val))
			}
		}()
	}
	wg.Wait()
	r.EtcdPutsPerSec = float64(opts.Creates) / time.Since(start).Seconds()
	if r.EtcdPutsPerSec > 0 {
		r.RatioToEtcd = r.CreatesPerSec / r.EtcdPutsPerSec
	}
	_, err = c.Delete(ctx, "/bench/puts/", clientv3.WithPrefix())
	return err
}

func encodeProto(pod *corev1.Pod) ([]byte, error) {
	var buf bytes.Buffer
	err := protobuf.NewSerializer(apiserver.Scheme, apiserver.Scheme).Encode(pod, &buf)
	return buf.Bytes(), err
}

// lists fills the namespace up to ListSize pods and times a LIST served
// from the watch cache (resourceVersion=0) and a consistent one.
func lists(ctx context.Context, p *serverProc, opts APIOptions, r *APIReport) error {
	cs, err := p.client()
	if err != nil {
		return err
	}
	if opts.ListSize > opts.Creates {
		if _, err := createPods(ctx, cs, "bench", "pod", opts.Creates, opts.ListSize, opts.Clients); err != nil {
			return err
		}
	}
	timeList := func(rv string) (time.Duration, error) {
		var best []time.Duration
		for i := 0; i < 5; i++ {
			start := time.Now()
			l, err := cs.CoreV1().Pods("bench").List(ctx, metav1.ListOptions{ResourceVersion: rv})
			if err != nil {
				return 0, err
			}
			best = append(best, time.Since(start))
			r.ListPods = len(l.Items)
		}
		return percentile(best, 50), nil
	}
	d, err := timeList("0")
	if err != nil {
		return err
	}
	r.ListCacheMs = ms(d)
	d, err = timeList("")
	r.ListConsistentMs = ms(d)
	return err
}

// watchers opens Watchers watches on one namespace, then writes
// WatchWrites pods at a steady pace and measures, for every watcher and
// write, the delay from the start of the write to the event's arrival.
func watchers(ctx context.Context, p *serverProc, opts APIOptions, r *APIReport) error {
	cs, err := p.client()
	if err != nil {
		return err
	}
	if err := ensureNamespace(ctx, cs, "watched"); err != nil {
		return err
	}
	list, err := cs.CoreV1().Pods("watched").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var delays []time.Duration
	var wg sync.WaitGroup
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 0; i < opts.Watchers; i++ {
		w, err := cs.CoreV1().Pods("watched").Watch(wctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			return fmt.Errorf("watch %d: %w", i, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Stop()
			got := 0
			for ev := range w.ResultChan() {
				pod, ok := ev.Object.(*corev1.Pod)
				if !ok {
					continue
				}
				now := time.Now()
				mu.Lock()
				delays = append(delays, now.Sub(sent[pod.Name]))
				mu.Unlock()
				if got++; got == opts.WatchWrites {
					return
				}
			}
		}()
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < opts.WatchWrites; i++ {
		<-tick.C
		name := fmt.Sprintf("w-%05d", i)
		mu.Lock()
		sent[name] = time.Now()
		mu.Unlock()
		if _, err := cs.CoreV1().Pods("watched").Create(ctx, benchPod(name), metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cancel()
		<-done
	}
	r.Watchers, r.WatchDeliveries = opts.Watchers, len(delays)
	r.WatchP50Ms, r.WatchP99Ms = ms(percentile(delays, 50)), ms(percentile(delays, 99))
	return nil
}

// WriteJSON writes the report to path.
func (r *APIReport) WriteJSON(path string) error { return writeJSON(path, r) }

// Print writes the report as a table.
func (r *APIReport) Print(w io.Writer) {
	rows := [][2]string{
		{"binary size", fmt.Sprintf("%.1f MiB", mib(r.BinaryBytes))},
		{"ready on a fresh data dir", fmt.Sprintf("%.0f ms", r.ReadyFreshMs)},
		{"ready on restart", fmt.Sprintf("%.0f ms", r.ReadyRestartMs)},
		{"idle RSS", fmt.Sprintf("%.1f MiB", r.IdleRSSMiB)},
		{"idle CPU", fmt.Sprintf("%.2f %% of a core", r.IdleCPUPercent)},
		{"pod creates/s", fmt.Sprintf("%.0f", r.CreatesPerSec)},
		{"pod create p50 / p99", fmt.Sprintf("%.1f / %.1f ms", r.CreateP50Ms, r.CreateP99Ms)},
		{"raw etcd puts/s (ceiling)", fmt.Sprintf("%.0f", r.EtcdPutsPerSec)},
		{"creates / etcd puts", fmt.Sprintf("%.2f", r.RatioToEtcd)},
		{fmt.Sprintf("LIST %d pods, cache (rv=0)", r.ListPods), fmt.Sprintf("%.0f ms", r.ListCacheMs)},
		{fmt.Sprintf("LIST %d pods, consistent", r.ListPods), fmt.Sprintf("%.0f ms", r.ListConsistentMs)},
		{fmt.Sprintf("watch delay, %d watchers p50 / p99", r.Watchers), fmt.Sprintf("%.1f / %.1f ms (%d deliveries)", r.WatchP50Ms, r.WatchP99Ms, r.WatchDeliveries)},
		{"server RSS after the run", fmt.Sprintf("%.1f MiB", r.RSSAfterRunMiB)},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-40s %s\n", row[0], row[1])
	}
}
