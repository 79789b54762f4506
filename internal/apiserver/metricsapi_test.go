package apiserver

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

func u64p(v uint64) *uint64 { return &v }

func usage(cores, ws uint64, at time.Time) (*statsapi.CPUStats, *statsapi.MemoryStats) {
	return &statsapi.CPUStats{Time: metav1.NewTime(at), UsageNanoCores: u64p(cores), UsageCoreNanoSeconds: u64p(1)},
		&statsapi.MemoryStats{Time: metav1.NewTime(at), WorkingSetBytes: u64p(ws)}
}

func TestPodMetricsFromSummary(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cpu1, mem1 := usage(250_000_000, 64<<20, at)
	cpu2, mem2 := usage(1_000_000, 1<<20, at.Add(time.Second))
	sum := &statsapi.Summary{Pods: []statsapi.PodStats{
		{PodRef: statsapi.PodReference{Namespace: "ns", Name: "web", UID: "old"}, Containers: []statsapi.ContainerStats{{Name: "app", CPU: cpu2, Memory: mem2}}},
		{PodRef: statsapi.PodReference{Namespace: "ns", Name: "web", UID: "u1"}, Containers: []statsapi.ContainerStats{
			{Name: "app", CPU: cpu1, Memory: mem1}, {Name: "side", CPU: cpu2, Memory: mem2}}},
	}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "u1", Labels: map[string]string{"app": "web"}}}
	m, ok := podMetricsOf(pod, sum)
	if !ok {
		t.Fatal("no metrics for the pod")
	}
	if len(m.Containers) != 2 || m.Labels["app"] != "web" || !m.Timestamp.Equal(&metav1.Time{Time: at.Add(time.Second)}) {
		t.Fatalf("pod metrics %+v", m)
	}
	app := m.Containers[0].Usage
	if got := app.Cpu().MilliValue(); got != 250 {
		t.Errorf("app cpu = %dm, want 250m", got)
	}
	if got := app.Memory().String(); got != "64Mi" {
		t.Errorf("app memory = %s, want 64Mi", got)
	}
	// A container without a CPU rate yet leaves the whole pod out.
	sum.Pods[1].Containers[1].CPU = &statsapi.CPUStats{UsageCoreNanoSeconds: u64p(5)}
	if _, ok := podMetricsOf(pod, sum); ok {
		t.Error("a pod with a container lacking a rate got metrics")
	}
}

func TestNodeMetricsFromSummary(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	if _, ok := nodeMetricsOf(node, &statsapi.Summary{}); ok {
		t.Fatal("a node without CPU figures got metrics")
	}
	cpu, mem := usage(1_500_000_000, 2<<30, at)
	m, ok := nodeMetricsOf(node, &statsapi.Summary{Node: statsapi.NodeStats{CPU: cpu, Memory: mem}})
	if !ok || m.Usage.Cpu().MilliValue() != 1500 || m.Usage.Memory().String() != "2Gi" || m.Window.Duration != metricsWindow {
		t.Fatalf("node metrics %+v", m)
	}
}

func TestSummaryCacheSharesFetches(t *testing.T) {
	var calls atomic.Int32
	kubelet := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Query().Get("only_cpu_and_memory") != "true" {
			t.Errorf("summary asked without only_cpu_and_memory: %s", r.URL)
		}
		_, _ = w.Write([]byte(`{"node":{"nodeName":"n1"},"pods":[]}`))
	}))
	defer kubelet.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := &Server{kubelet: kubelet.Client().Transport.(*http.Transport), summaryCache: newSummaryCache()}
	s.summaryCache.now = func() time.Time { return now }
	port := kubelet.Listener.Addr().(*net.TCPAddr).Port
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "a"}}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	get := func() {
		t.Helper()
		sum, err := s.summary(t.Context(), node)
		if err != nil || sum.Node.NodeName != "n1" {
			t.Fatalf("summary = %+v, %v", sum, err)
		}
	}
	get()
	get()
	if n := calls.Load(); n != 1 {
		t.Fatalf("two reads within the TTL made %d kubelet requests, want 1", n)
	}
	now = now.Add(summaryTTL + time.Second)
	get()
	if n := calls.Load(); n != 2 {
		t.Fatalf("a read after the TTL made %d kubelet requests in all, want 2", n)
	}
}
