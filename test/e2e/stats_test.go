package e2e

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

// TestStats reads a busy and an idle pod's usage through the kubelet's
// Summary API and resource metrics (proxied by the API server) and
// through kubectl top, which reads metrics.k8s.io.
func TestStats(t *testing.T) {
	c, k := startKubectlNode(t, "e2e-stats")
	pods := c.Client.CoreV1().Pods("e2e-stats")
	busy := makePod("busy", corev1.RestartPolicyAlways, "sh", "-c",
		"dd if=/dev/zero of=/scratch/blob bs=1024 count=2048 && while :; do :; done")
	busy.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	busy.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
	busy = create(t, pods, busy)
	idle := create(t, pods, makePod("idle", corev1.RestartPolicyAlways, "sleep", "3600"))
	for _, p := range []*corev1.Pod{busy, idle} {
		waitPod(t, c.Client, p, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	}

	// Rates need two samples; the kubelet samples every 10s.
	var sum statsapi.Summary
	waitFor(t, 60*time.Second, "CPU rates of both pods", func() (bool, error) {
		out := k.run("", "get", "--raw", "/api/v1/nodes/e2e-node/proxy/stats/summary")
		sum = statsapi.Summary{}
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			return false, err
		}
		return podCPU(sum, "busy") != nil && podCPU(sum, "idle") != nil, nil
	})
	if n := sum.Node; n.CPU == nil || n.CPU.UsageNanoCores == nil || n.Memory == nil || n.Memory.WorkingSetBytes == nil || n.Fs == nil || n.Fs.CapacityBytes == nil {
		t.Errorf("node stats lack cpu, memory or fs: %+v", n)
	}
	if n := sum.Node; n.Runtime == nil || n.Runtime.ImageFs == nil || n.Runtime.ImageFs.UsedBytes == nil {
		t.Errorf("node stats lack the runtime's imageFs: %+v", n.Runtime)
	}
	if b, i := *podCPU(sum, "busy"), *podCPU(sum, "idle"); b <= i {
		t.Errorf("busy pod uses %d nanocores, idle %d: want busy above idle", b, i)
	}
	busyStats := podStats(sum, "busy")
	b, _ := json.Marshal(busyStats)
	t.Logf("busy pod's summary: %s", b)
	checkBusyPodStats(t, busyStats)

	metrics := k.run("", "get", "--raw", "/api/v1/nodes/e2e-node/proxy/metrics/resource")
	for _, want := range []string{`container_cpu_usage_seconds_total{container="main",namespace="e2e-stats",pod="busy"}`, "node_memory_working_set_bytes ", "\nscrape_error 0\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("resource metrics lack %q:\n%s", want, metrics)
		}
	}

	var top string
	waitFor(t, 30*time.Second, "kubectl top pod lists both pods", func() (bool, error) {
		out, err := k.command(t.Context(), "top", "pod").Output()
		top = string(out)
		return err == nil && strings.Contains(top, "busy") && strings.Contains(top, "idle"), nil
	})
	t.Logf("kubectl top pod:\n%s", top)
	if b, i := topMillicores(t, top, "busy"), topMillicores(t, top, "idle"); b <= i {
		t.Errorf("kubectl top pod: busy %dm, idle %dm: want busy above idle", b, i)
	}
	node := k.run("", "top", "node")
	t.Logf("kubectl top node:\n%s", node)
	if !regexp.MustCompile(`(?m)^e2e-node\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%`).MatchString(node) {
		t.Errorf("kubectl top node lacks e2e-node's usage:\n%s", node)
	}
}

// checkBusyPodStats checks the filesystem figures of the busy pod,
// which wrote 2 MiB to its emptyDir.
func checkBusyPodStats(t *testing.T, ps *statsapi.PodStats) {
	t.Helper()
	if len(ps.Containers) != 1 || ps.Containers[0].Memory == nil || ps.Containers[0].Memory.WorkingSetBytes == nil || *ps.Containers[0].Memory.WorkingSetBytes == 0 || ps.Containers[0].Logs == nil {
		t.Fatalf("busy pod's container stats: %+v", ps.Containers)
	}
	if len(ps.VolumeStats) != 1 || ps.VolumeStats[0].Name != "scratch" || *ps.VolumeStats[0].UsedBytes < 2<<20 {
		t.Errorf("busy pod's volume stats: %+v, want scratch using 2 MiB", ps.VolumeStats)
	}
	if e := ps.EphemeralStorage; e == nil || *e.UsedBytes < 2<<20 {
		t.Errorf("busy pod's ephemeral storage: %+v, want at least its 2 MiB emptyDir", e)
	}
}

func podStats(sum statsapi.Summary, name string) *statsapi.PodStats {
	for i := range sum.Pods {
		if sum.Pods[i].PodRef.Name == name && sum.Pods[i].PodRef.Namespace == "e2e-stats" {
			return &sum.Pods[i]
		}
	}
	return nil
}

func podCPU(sum statsapi.Summary, name string) *uint64 {
	ps := podStats(sum, name)
	if ps == nil || ps.CPU == nil {
		return nil
	}
	return ps.CPU.UsageNanoCores
}

// topMillicores is the CPU(cores) column of pod's line of kubectl top.
func topMillicores(t *testing.T, out, pod string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + pod + `\s+(\d+)m\s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no CPU for %s in kubectl top:\n%s", pod, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
