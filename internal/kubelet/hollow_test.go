package kubelet_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/cri/fake"
	"github.com/skiff-sh/skiff/internal/kubelet"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// fakeNode runs the real kubelet for node "n1" over a fake runtime
// against an in-process API server.
type fakeNode struct {
	t       *testing.T
	cluster *testcluster.Cluster
	rt      *fake.Runtime
}

func startFakeNode(t *testing.T, rc fake.Config) *fakeNode {
	c := testcluster.Start(t)
	// No controllers run: the pods' token volumes need the account.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := c.Client.CoreV1().ServiceAccounts("default").Create(context.Background(), sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	rc.PodCIDR = "10.244.7.0/24"
	rt, err := fake.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	resolv := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 10.0.0.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := kubelet.New(kubelet.Config{
		NodeName: "n1", Client: c.Client, Runtime: cri.NewClient(rt, rt), NodeIP: "10.0.0.5",
		Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3"), corev1.ResourcePods: resource.MustParse("20")},
		Labels:   map[string]string{corev1.LabelTopologyZone: "z1"},
		DataDir:  dir, LogRoot: filepath.Join(dir, "logs"), ResolvConf: resolv, RelistPeriod: 100 * time.Millisecond,
		RootCA: []byte("test CA"),
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("kubelet: %v", err)
		}
	})
	return &fakeNode{t: t, cluster: c, rt: rt}
}

// waitPod polls pod p until cond holds, for at most a minute.
func (n *fakeNode) waitPod(name, what string, cond func(*corev1.Pod, error) bool) *corev1.Pod {
	n.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		p, err := n.cluster.Client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if cond(p, err) {
			return p
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("pod %s: timed out waiting for %s; last %v %+v", name, what, err, p.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *fakeNode) createPod(pod *corev1.Pod) {
	n.t.Helper()
	pod.Spec.NodeName = "n1"
	if _, err := n.cluster.Client.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		n.t.Fatal(err)
	}
}

func TestKubeletOverFakeRuntime(t *testing.T) {
	n := startFakeNode(t, fake.Config{Exits: map[string]fake.Exit{"init": {Code: 0}}})
	var node *corev1.Node
	for i := 0; node == nil || node.Status.NodeInfo.KubeletVersion == ""; i++ {
		if i == 600 {
			t.Fatalf("node n1 has no status after a minute")
		}
		time.Sleep(100 * time.Millisecond)
		node, _ = n.cluster.Client.CoreV1().Nodes().Get(context.Background(), "n1", metav1.GetOptions{})
	}
	if node.Status.Allocatable.Cpu().String() != "3" || node.Labels[corev1.LabelTopologyZone] != "z1" || node.Status.NodeInfo.ContainerRuntimeVersion != "fake://"+fake.Version {
		t.Fatalf("node: allocatable %v labels %v runtime %q", node.Status.Allocatable, node.Labels, node.Status.NodeInfo.ContainerRuntimeVersion)
	}

	n.createPod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
		Containers:     []corev1.Container{{Name: "app", Image: "nginx"}},
	}})
	p := n.waitPod("web", "Running", func(p *corev1.Pod, err error) bool { return err == nil && p.Status.Phase == corev1.PodRunning })
	if !strings.HasPrefix(p.Status.PodIP, "10.244.7.") || p.Status.HostIP != "10.0.0.5" {
		t.Errorf("pod IP %q host IP %q, want one of 10.244.7.0/24 and 10.0.0.5", p.Status.PodIP, p.Status.HostIP)
	}
	if s := p.Status.InitContainerStatuses; len(s) != 1 || s[0].State.Terminated == nil || s[0].State.Terminated.ExitCode != 0 {
		t.Errorf("init container status: %+v", s)
	}
	if s := p.Status.ContainerStatuses; len(s) != 1 || s[0].State.Running == nil || !s[0].Ready {
		t.Errorf("app container status: %+v", s)
	}
	// IDs grow with creation: the init container was created first.
	l, err := n.rt.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{})
	if err != nil || len(l.Containers) != 2 || l.Containers[0].Metadata.Name != "init" || l.Containers[1].Metadata.Name != "app" {
		t.Fatalf("containers in creation order: %v %v, want init then app", l, err)
	}

	if err := n.cluster.Client.CoreV1().Pods("default").Delete(context.Background(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	n.waitPod("web", "deletion", func(_ *corev1.Pod, err error) bool { return apierrors.IsNotFound(err) })
	if d := n.rt.Dump(); d != "" {
		t.Errorf("runtime after the pod's deletion:\n%s", d)
	}
}

func TestKubeletOverFakeRuntimeCrashLoop(t *testing.T) {
	n := startFakeNode(t, fake.Config{Exits: map[string]fake.Exit{"crash": {Code: 2}}})
	n.createPod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "crasher"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "crash", Image: "busybox"}},
	}})
	// The first restart comes after a 10 s back-off.
	p := n.waitPod("crasher", "a restart", func(p *corev1.Pod, err error) bool {
		return err == nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	n.waitPod("crasher", "CrashLoopBackOff", func(p *corev1.Pod, err error) bool {
		if err != nil || len(p.Status.ContainerStatuses) != 1 {
			return false
		}
		s := p.Status.ContainerStatuses[0]
		return s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" &&
			s.LastTerminationState.Terminated != nil && s.LastTerminationState.Terminated.ExitCode == 2
	})
	if p.Status.Phase != corev1.PodRunning {
		t.Errorf("phase %s, want Running while restarting", p.Status.Phase)
	}
}

func TestKubeletOverFakeRuntimeImagePullFailure(t *testing.T) {
	n := startFakeNode(t, fake.Config{})
	n.rt.Fail("PullImage", "missing:1", &pullError{})
	n.createPod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "nopull"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "missing:1"}},
	}})
	n.waitPod("nopull", "ErrImagePull", func(p *corev1.Pod, err error) bool {
		if err != nil || len(p.Status.ContainerStatuses) != 1 {
			return false
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff")
	})
}

type pullError struct{}

func (*pullError) Error() string { return "manifest unknown" }
