package fake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newRuntime(t *testing.T, cfg Config) (*Runtime, *clock) {
	t.Helper()
	clk := &clock{t: time.Unix(1000, 0)}
	cfg.Now = clk.now
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, clk
}

func runSandbox(t *testing.T, r *Runtime, name string, hostNet bool) string {
	t.Helper()
	cfg := &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "ns", Uid: name}, Labels: map[string]string{"pod": name}}
	if hostNet {
		cfg.Linux = &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE}}}
	}
	resp, err := r.RunPodSandbox(context.Background(), &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return resp.PodSandboxId
}

func sandboxIP(t *testing.T, r *Runtime, id string) string {
	t.Helper()
	st, err := r.PodSandboxStatus(context.Background(), &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil {
		t.Fatal(err)
	}
	return st.Status.GetNetwork().GetIp()
}

func createContainer(r *Runtime, sandboxID, name, image string) (string, error) {
	resp, err := r.CreateContainer(context.Background(), &runtimeapi.CreateContainerRequest{PodSandboxId: sandboxID, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: name}, Image: &runtimeapi.ImageSpec{Image: image}, LogPath: name + "/0.log"}})
	if err != nil {
		return "", err
	}
	return resp.ContainerId, nil
}

func startContainer(t *testing.T, r *Runtime, sandboxID, name string) string {
	t.Helper()
	id, err := createContainer(r, sandboxID, name, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.StartContainer(context.Background(), &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		t.Fatal(err)
	}
	return id
}

func containerStatus(t *testing.T, r *Runtime, id string) *runtimeapi.ContainerStatus {
	t.Helper()
	st, err := r.ContainerStatus(context.Background(), &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		t.Fatal(err)
	}
	return st.Status
}

func TestPodIPsComeFromTheCIDR(t *testing.T) {
	r, _ := newRuntime(t, Config{PodCIDR: "10.1.2.0/30"})
	a, b := runSandbox(t, r, "a", false), runSandbox(t, r, "b", false)
	if got := []string{sandboxIP(t, r, a), sandboxIP(t, r, b)}; !cmp.Equal(got, []string{"10.1.2.1", "10.1.2.2"}) {
		t.Fatalf("IPs %v, want 10.1.2.1 and 10.1.2.2", got)
	}
	_, err := r.RunPodSandbox(context.Background(), &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "c"}}})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third sandbox in a /30: %v, want ResourceExhausted", err)
	}
	if ip := sandboxIP(t, r, runSandbox(t, r, "host", true)); ip != "" {
		t.Errorf("host-network sandbox has IP %q", ip)
	}
	if _, err := r.StopPodSandbox(context.Background(), &runtimeapi.StopPodSandboxRequest{PodSandboxId: a}); err != nil {
		t.Fatal(err)
	}
	if ip := sandboxIP(t, r, runSandbox(t, r, "d", false)); ip != "10.1.2.1" {
		t.Errorf("after a stop, the next sandbox got %q, want the freed 10.1.2.1", ip)
	}
}

func TestContainerLifecycle(t *testing.T) {
	r, _ := newRuntime(t, Config{})
	sb := runSandbox(t, r, "p", false)
	if _, err := createContainer(r, sb, "c", "busybox"); status.Code(err) != codes.NotFound {
		t.Fatalf("create without the image: %v, want NotFound", err)
	}
	if _, err := r.PullImage(context.Background(), &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: "docker.io/library/busybox:latest"}}); err != nil {
		t.Fatal(err)
	}
	id := startContainer(t, r, sb, "c")
	if st := containerStatus(t, r, id); st.State != runtimeapi.ContainerState_CONTAINER_RUNNING || st.LogPath != "c/0.log" {
		t.Fatalf("started container: %v, log %q", st.State, st.LogPath)
	}
	if _, err := r.StopContainer(context.Background(), &runtimeapi.StopContainerRequest{ContainerId: id}); err != nil {
		t.Fatal(err)
	}
	if st := containerStatus(t, r, id); st.State != runtimeapi.ContainerState_CONTAINER_EXITED || st.ExitCode != killedExitCode || st.Reason != "Error" {
		t.Fatalf("stopped container: %v exit %d reason %q", st.State, st.ExitCode, st.Reason)
	}
	want := "0000000000000001 sandbox ns/p attempt=0 SANDBOX_READY ip=10.88.0.1\n" +
		"0000000000000002 container c in 0000000000000001 attempt=0 CONTAINER_EXITED exit=137"
	if diff := cmp.Diff(want, r.Dump()); diff != "" {
		t.Errorf("dump (-want +got):\n%s", diff)
	}
	if _, err := r.RemovePodSandbox(context.Background(), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb}); err != nil {
		t.Fatal(err)
	}
	if d := r.Dump(); d != "" {
		t.Errorf("after removing the sandbox: %q, want nothing", d)
	}
}

func TestConfiguredExit(t *testing.T) {
	r, clk := newRuntime(t, Config{Images: []string{"busybox"}, Exits: map[string]Exit{"crash": {After: 5 * time.Second, Code: 3}}})
	sb := runSandbox(t, r, "p", false)
	crash, steady := startContainer(t, r, sb, "crash"), startContainer(t, r, sb, "steady")
	clk.t = clk.t.Add(4 * time.Second)
	if st := containerStatus(t, r, crash); st.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Fatalf("before its exit: %v", st.State)
	}
	clk.t = clk.t.Add(time.Hour)
	st := containerStatus(t, r, crash)
	if st.State != runtimeapi.ContainerState_CONTAINER_EXITED || st.ExitCode != 3 || st.FinishedAt-st.StartedAt != int64(5*time.Second) {
		t.Fatalf("after its exit: %v exit %d ran %v", st.State, st.ExitCode, time.Duration(st.FinishedAt-st.StartedAt))
	}
	if st := containerStatus(t, r, steady); st.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Errorf("a container without an exit: %v", st.State)
	}
	exited := &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_EXITED}
	l, err := r.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{State: exited}})
	if err != nil || len(l.Containers) != 1 || l.Containers[0].Id != crash {
		t.Errorf("exited containers: %v %v, want only %s", l, err, crash)
	}
}

func TestInjectedFailures(t *testing.T) {
	r, _ := newRuntime(t, Config{Images: []string{"busybox"}})
	boom := errors.New("boom")
	r.Fail("PullImage", "bad:1", boom)
	pull := func(img string) error {
		_, err := r.PullImage(context.Background(), &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: img}})
		return err
	}
	if err := pull("bad:1"); !errors.Is(err, boom) {
		t.Fatalf("pull bad:1: %v, want boom", err)
	}
	if err := pull("good:1"); err != nil {
		t.Fatalf("pull good:1: %v", err)
	}
	r.Fail("PullImage", "bad:1", nil)
	if err := pull("bad:1"); err != nil {
		t.Fatalf("pull after the failure is cleared: %v", err)
	}
	r.Fail("StartContainer", "", boom)
	sb := runSandbox(t, r, "p", false)
	id, err := createContainer(r, sb, "c", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.StartContainer(context.Background(), &runtimeapi.StartContainerRequest{ContainerId: id}); !errors.Is(err, boom) {
		t.Fatalf("start with a failure for any container: %v", err)
	}
}

func TestStartLatencyHonoursCancellation(t *testing.T) {
	r, _ := newRuntime(t, Config{Images: []string{"busybox"}, StartLatency: time.Hour})
	id, err := createContainer(r, runSandbox(t, r, "p", false), "c", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id}); !errors.Is(err, context.Canceled) {
		t.Fatalf("start during its latency with ctx cancelled: %v", err)
	}
	if st := containerStatus(t, r, id); st.State != runtimeapi.ContainerState_CONTAINER_CREATED {
		t.Errorf("container is %v, want still created", st.State)
	}
}

func TestImageNames(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                 "docker.io/library/busybox:latest",
		"nginx:1.27":              "docker.io/library/nginx:1.27",
		"user/app":                "docker.io/user/app:latest",
		"registry.local:5000/x/y": "registry.local:5000/x/y:latest",
		"localhost/app:v1":        "localhost/app:v1",
		"busybox@sha256:0123abcd": "busybox@sha256:0123abcd",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUpdateRuntimeConfigMovesNewSandboxes(t *testing.T) {
	r, _ := newRuntime(t, Config{PodCIDR: "10.1.2.0/24"})
	before := runSandbox(t, r, "a", false)
	req := &runtimeapi.UpdateRuntimeConfigRequest{RuntimeConfig: &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: "10.9.0.0/24"}}}
	if _, err := r.UpdateRuntimeConfig(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := []string{sandboxIP(t, r, before), sandboxIP(t, r, runSandbox(t, r, "b", false))}; !cmp.Equal(got, []string{"10.1.2.1", "10.9.0.1"}) {
		t.Errorf("IPs before and after the new CIDR: %v, want 10.1.2.1 and 10.9.0.1", got)
	}
}
