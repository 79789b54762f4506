package integration

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// stubKubelet serves /stats/summary from a summary the test sets; the
// API server reaches it on loopback as node's kubelet.
type stubKubelet struct {
	srv     *httptest.Server
	summary statsapi.Summary
}

func startStubKubelet(t *testing.T) *stubKubelet {
	t.Helper()
	s := &stubKubelet{}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stats/summary" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(s.summary)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// registerStubNode creates node name with the stub as its kubelet.
func registerStubNode(t *testing.T, client kubernetes.Interface, name string, stub *stubKubelet) {
	t.Helper()
	ctx := context.Background()
	_, portStr, _ := net.SplitHostPort(stub.srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	node, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"pool": "stub"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")}
	node.Status.Capacity, node.Status.Allocatable = capacity, capacity
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createBoundPod(t *testing.T, client kubernetes.Interface, ns, name, node string, containers ...string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}}, Spec: corev1.PodSpec{NodeName: node}}
	for _, c := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c, Image: "busybox"})
	}
	out, err := client.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func u64(v uint64) *uint64 { return &v }

func containerUsage(name string, nanoCores, workingSet uint64) statsapi.ContainerStats {
	now := metav1.Now()
	return statsapi.ContainerStats{Name: name,
		CPU:    &statsapi.CPUStats{Time: now, UsageNanoCores: u64(nanoCores), UsageCoreNanoSeconds: u64(1e9)},
		Memory: &statsapi.MemoryStats{Time: now, WorkingSetBytes: u64(workingSet)}}
}

// TestMetricsAPI serves metrics.k8s.io from a stub kubelet's summary
// and reads it with the metrics clientset and the real kubectl top.
func TestMetricsAPI(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	stub := startStubKubelet(t)
	registerStubNode(t, c.Client, "stub-node", stub)
	web := createBoundPod(t, c.Client, "default", "web", "stub-node", "app", "side")
	cold := createBoundPod(t, c.Client, "default", "cold", "stub-node", "app")
	now := metav1.Now()
	stub.summary = statsapi.Summary{
		Node: statsapi.NodeStats{NodeName: "stub-node",
			CPU:    &statsapi.CPUStats{Time: now, UsageNanoCores: u64(1_500_000_000)},
			Memory: &statsapi.MemoryStats{Time: now, WorkingSetBytes: u64(2 << 30)}},
		Pods: []statsapi.PodStats{
			{PodRef: statsapi.PodReference{Namespace: "default", Name: "web", UID: string(web.UID)},
				Containers: []statsapi.ContainerStats{containerUsage("app", 250_000_000, 64<<20), containerUsage("side", 5_000_000, 16<<20)}},
			// No rate yet: the kubelet has one CPU sample only.
			{PodRef: statsapi.PodReference{Namespace: "default", Name: "cold", UID: string(cold.UID)},
				Containers: []statsapi.ContainerStats{{Name: "app", CPU: &statsapi.CPUStats{Time: now, UsageCoreNanoSeconds: u64(1)}}}},
		},
	}

	groups, err := c.Client.Discovery().ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	if !servesGroupVersion(groups, "metrics.k8s.io", "v1beta1") {
		t.Fatal("discovery does not list metrics.k8s.io/v1beta1")
	}
	mc, err := metricsclient.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	nm, err := mc.MetricsV1beta1().NodeMetricses().Get(ctx, "stub-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if nm.Usage.Cpu().MilliValue() != 1500 || nm.Usage.Memory().Value() != 2<<30 || nm.Labels["pool"] != "stub" {
		t.Errorf("node metrics: %+v", nm)
	}
	pods, err := mc.MetricsV1beta1().PodMetricses("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 || pods.Items[0].Name != "web" || len(pods.Items[0].Containers) != 2 {
		t.Fatalf("pod metrics list: %+v", pods.Items)
	}
	if got := pods.Items[0].Containers[0].Usage.Cpu().MilliValue(); got != 250 {
		t.Errorf("web/app cpu = %dm, want 250m", got)
	}
	sel, err := mc.MetricsV1beta1().PodMetricses("").List(ctx, metav1.ListOptions{LabelSelector: "app=nothing"})
	if err != nil || len(sel.Items) != 0 {
		t.Errorf("label selector app=nothing gave %v, %v; want no items", sel, err)
	}
	if _, err := mc.MetricsV1beta1().PodMetricses("default").Get(ctx, "cold", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("metrics of a pod without rates: %v, want NotFound", err)
	}

	k := newKubectl(t, c)
	out := k.must("top", "node")
	t.Logf("kubectl top node:\n%s", out)
	expectLine(t, out, `^stub-node\s+1500m\s+37%\s+2048Mi\s+25%`)
	out = k.must("top", "pod", "-l", "app=web", "--containers")
	t.Logf("kubectl top pod -l app=web --containers:\n%s", out)
	expectLine(t, out, `^web\s+app\s+250m\s+64Mi`)
	expectLine(t, out, `^web\s+side\s+5m\s+16Mi`)
	if out, err := k.run("top", "pod", "cold"); err == nil || !strings.Contains(out, "podmetrics.metrics.k8s.io \"default/cold\" not found") {
		t.Errorf("kubectl top pod cold: %v\n%s", err, out)
	}
	if out, err := k.run("top", "pod", "-l", "app=cold"); err == nil || !strings.Contains(out, "metrics not available yet") {
		t.Errorf("kubectl top pod -l app=cold: %v\n%s", err, out)
	}
}

func servesGroupVersion(groups *metav1.APIGroupList, group, version string) bool {
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			if g.Name == group && v.Version == version {
				return true
			}
		}
	}
	return false
}

func expectLine(t *testing.T, out, pattern string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)` + pattern).MatchString(out) {
		t.Errorf("no line matching %s in\n%s", pattern, out)
	}
}
