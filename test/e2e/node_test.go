package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/hostclean"
	"github.com/skiff-sh/skiff/internal/images"
	"github.com/skiff-sh/skiff/internal/kubelet"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// busyboxImage is the test image: busybox-static and a few applets. Tests
// never pull.
const busyboxImage = "skiff.local/busybox:e2e"

// The e2e node's own network names and ranges, unlike any real node's.
// e2eClusterCIDR holds the node's pod range and the networking test's
// other addresses.
const (
	e2eBridge       = "skiffe2e0"
	e2ePodCIDR      = "10.244.250.0/24"
	e2eClusterCIDR  = "10.244.248.0/21"
	e2eServiceIface = "skiffe2e-svc"
	// The node's InternalIP lives on an interface of the test's own, so
	// the API server's calls to the kubelet and NodePort traffic go to
	// an address the test made.
	e2eNodeIface = "skiffe2e-node"
	e2eNodeIP    = "10.244.251.1"
)

// node is a running agent on a real containerd, for one test.
type node struct {
	name    string
	dataDir string
	agent   *agent.Agent
	runtime *cri.Client
}

// requireNode skips unless the machine can run real containers.
func requireNode(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root (containerd, cgroups, CNI); run as root after scripts/install-deps.sh")
	}
	for _, bin := range []string{"containerd", "ctr", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("e2e: %s not on PATH; run scripts/install-deps.sh", bin)
		}
	}
	for _, f := range []string{"/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap", "/bin/busybox"} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("e2e: %s missing; run scripts/install-deps.sh", f)
		}
	}
}

// startNode runs an agent for node name against the cluster, with its
// own containerd in a temporary data dir, and removes every trace of it
// when the test ends.
func startNode(t *testing.T, c *testcluster.Cluster, name string) *node {
	t.Helper()
	return startNodeWith(t, c, name, nil)
}

// startNodeWith is startNode with configure, when not nil, adjusting the
// agent's configuration. Its network uses test names throughout and is
// removed when the agent stops; the ingress router is off unless
// configure turns it on (it needs free ports).
func startNodeWith(t *testing.T, c *testcluster.Cluster, name string, configure func(*agent.Config)) *node {
	t.Helper()
	dataDir := t.TempDir()
	pause := buildPause(t)
	writeBusyboxImage(t, filepath.Join(dataDir, "images", "busybox.tar"))
	cgroupRoot := "/skiff-e2e/" + filepath.Base(filepath.Dir(dataDir))
	addLocalAddress(t, e2eNodeIface, e2eNodeIP)
	cfg := agent.Config{
		REST: c.Config, NodeName: name, NodeIP: e2eNodeIP, DataDir: dataDir, PodCIDR: e2ePodCIDR,
		NetworkName: "skiff-e2e", Bridge: e2eBridge, LogRoot: filepath.Join(dataDir, "pods"),
		CgroupRoot: cgroupRoot, PauseBinary: pause, KubeletServerAddr: e2eNodeIP + ":0",
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Network: agent.Network{
			ClusterCIDR: e2eClusterCIDR, ServiceInterface: e2eServiceIface,
			NetTable: "skiffe2e-net", ProxyTable: "skiffe2e-proxy", DisableIngress: true,
		},
		Cleanup: true,
		// The shared machine's disk, not the test, must not decide what
		// happens: its image filesystem sits near the default image GC
		// and imagefs eviction thresholds. Tests of those set their own.
		Eviction: kubelet.EvictionPolicy{Hard: memoryEvictionOnly(t)},
		GC:       kubelet.GCPolicy{ImageHighThresholdPercent: 100, ImageLowThresholdPercent: 99},
	}
	if configure != nil {
		configure(&cfg)
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	n := &node{name: name, dataDir: dataDir, agent: a}
	t.Cleanup(func() {
		n.deleteAllPods(t, c)
		n.removeAllPods(t)
		if n.runtime != nil {
			n.runtime.Close()
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop within 30s")
		}
		if err := hostclean.UnmountUnder(dataDir); err != nil {
			t.Logf("cleanup: %v", err)
		}
		hostclean.RemoveCgroupTree(cgroupRoot)
		_ = exec.Command("ip", "link", "del", e2eBridge).Run()
		if t.Failed() {
			dumpFile(t, filepath.Join(dataDir, "containerd", "containerd.log"))
		}
	})
	waitFor(t, 90*time.Second, "node Ready", func() (bool, error) {
		select {
		case err := <-done:
			return false, fmt.Errorf("agent stopped: %v", err)
		default:
		}
		nd, err := c.Client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range nd.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				return cond.Status == corev1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	rt, err := cri.Dial(context.Background(), a.Socket())
	if err != nil {
		t.Fatal(err)
	}
	n.runtime = rt
	return n
}

// createNamespace makes a namespace with its default ServiceAccount,
// whose token admission mounts into every pod.
func createNamespace(t *testing.T, c *testcluster.Cluster, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// deleteAllPods force-deletes the node's pods from the API and waits for
// the kubelet to remove their sandboxes, so it creates no more.
func (n *node) deleteAllPods(t *testing.T, c *testcluster.Cluster) {
	if n.runtime == nil {
		return
	}
	ctx := context.Background()
	list, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + n.name})
	if err != nil {
		t.Logf("cleanup: list pods: %v", err)
		return
	}
	zero := int64(0)
	for _, p := range list.Items {
		_ = c.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		sbs, err := n.runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		if err != nil || len(sbs.Items) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Log("cleanup: the kubelet left sandboxes behind; removing them")
}

// removeAllPods stops and removes every sandbox, so no container or shim
// outlives the test.
func (n *node) removeAllPods(t *testing.T) {
	if n.runtime == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sbs, err := n.runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Logf("cleanup: list sandboxes: %v", err)
		return
	}
	for _, sb := range sbs.Items {
		_, _ = n.runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id})
		if _, err := n.runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			t.Logf("cleanup: remove sandbox %s: %v", sb.Id, err)
		}
	}
}

// containersOf lists the runtime's containers of a pod.
func (n *node) containersOf(t *testing.T, uid string) []*runtimeapi.Container {
	resp, err := n.runtime.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{
		Filter: &runtimeapi.ContainerFilter{LabelSelector: map[string]string{"io.kubernetes.pod.uid": uid}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Containers
}

// buildPause builds cmd/pause statically, once per test binary run.
func buildPause(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "skiff-pause")
	cmd := exec.Command("go", "build", "-o", out, "github.com/skiff-sh/skiff/cmd/pause")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build pause: %v\n%s", err, b)
	}
	return out
}

// writeBusyboxImage writes the test image: the host's busybox-static with
// symlinks for the applets the tests use.
func writeBusyboxImage(t *testing.T, out string) {
	t.Helper()
	applets := []string{"sh", "sleep", "httpd", "wget", "cat", "timeout", "seq", "grep", "mkdir", "nslookup", "hostname", "nc", "echo", "tar", "head", "tr"}
	if err := images.WriteBusyboxTar(out, busyboxImage, applets...); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond every 100 ms until it holds, fails, or timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func dumpFile(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	t.Logf("%s:\n%s", path, b)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// memoryEvictionOnly is Kubernetes' default memory threshold alone.
func memoryEvictionOnly(t *testing.T) []kubelet.Threshold {
	th, err := kubelet.ParseThresholds("memory.available<100Mi")
	if err != nil {
		t.Fatal(err)
	}
	return th
}
