package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/cri"
)

const (
	// kbNamespace holds the startup benchmark's pods.
	kbNamespace = "bench-kubelet"
	// kbPodNamespaceLabel is the label the kubelet, as Kubernetes',
	// gives a sandbox with its pod's namespace.
	kbPodNamespaceLabel = "io.kubernetes.pod.namespace"
)

// runningWatch records when a watch first saw each pod Running.
type runningWatch struct {
	factory informers.SharedInformerFactory
	cancel  context.CancelFunc
	mu      sync.Mutex
	at      map[string]time.Time
	waiters map[string]chan struct{}
}

// startRunningWatch watches kbNamespace's pods until stop and returns
// once the watch is established.
func startRunningWatch(ctx context.Context, client kubernetes.Interface) (*runningWatch, error) {
	ctx, cancel := context.WithCancel(ctx)
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(kbNamespace))
	w := &runningWatch{factory: f, cancel: cancel, at: map[string]time.Time{}, waiters: map[string]chan struct{}{}}
	inf := f.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    w.observe,
		UpdateFunc: func(_, obj any) { w.observe(obj) },
	})
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		w.stop()
		return nil, ctx.Err()
	}
	return w, nil
}

// stop ends the watch and waits for its goroutines.
func (w *runningWatch) stop() {
	w.cancel()
	w.factory.Shutdown()
}

func (w *runningWatch) observe(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Status.Phase != corev1.PodRunning {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.at[p.Name]; seen {
		return
	}
	w.at[p.Name] = now
	if ch, ok := w.waiters[p.Name]; ok {
		close(ch)
		delete(w.waiters, p.Name)
	}
}

// wait blocks until name was seen Running, and returns when.
func (w *runningWatch) wait(ctx context.Context, name string, timeout time.Duration) (time.Time, error) {
	w.mu.Lock()
	if t, ok := w.at[name]; ok {
		w.mu.Unlock()
		return t, nil
	}
	ch := make(chan struct{})
	w.waiters[name] = ch
	w.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	case <-time.After(timeout):
		return time.Time{}, fmt.Errorf("pod %s not Running within %s", name, timeout)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at[name], nil
}

// kbPod is a pod on the bench node whose image is present.
func kbPod(name string) *corev1.Pod {
	grace := int64(0) // sleep as PID 1 ignores SIGTERM: clean up at once
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName: kbNodeName, TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name: "main", Image: kbImage, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep", "3600"},
			}},
		},
	}
}

// startPods creates n pods named prefix-i, at most workers at a time,
// and returns each one's creation → Running-seen latency.
func startPods(ctx context.Context, client kubernetes.Interface, w *runningWatch, prefix string, n, workers int, out io.Writer) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	var mu sync.Mutex
	done := 0
	err := parallel(ctx, n, workers, func(i int) error {
		name := fmt.Sprintf("%s-%d", prefix, i)
		start := time.Now()
		if _, err := client.CoreV1().Pods(kbNamespace).Create(ctx, kbPod(name), metav1.CreateOptions{}); err != nil {
			return err
		}
		at, err := w.wait(ctx, name, 2*time.Minute)
		if err != nil {
			return err
		}
		lat[i] = at.Sub(start)
		mu.Lock()
		defer mu.Unlock()
		if done++; done%25 == 0 {
			fmt.Fprintf(out, "  %s: %d/%d Running\n", prefix, done, n)
		}
		return nil
	})
	return lat, err
}

// deletePods deletes the benchmark's pods at once and waits until the
// kubelet has removed their sandboxes.
func deletePods(ctx context.Context, client kubernetes.Interface, rt *cri.Client, out io.Writer) error {
	zero := int64(0)
	pods := client.CoreV1().Pods(kbNamespace)
	if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{}); err != nil {
		return err
	}
	fmt.Fprintln(out, "deleting pods ...")
	return poll(ctx, 200*time.Millisecond, out, func() (bool, string, error) {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "", err
		}
		sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
			LabelSelector: map[string]string{kbPodNamespaceLabel: kbNamespace}}})
		if err != nil {
			return false, "", err
		}
		return len(list.Items) == 0 && len(sbs.Items) == 0, fmt.Sprintf("%d pods, %d sandboxes left", len(list.Items), len(sbs.Items)), nil
	})
}
