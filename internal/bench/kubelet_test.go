package bench

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startHelper runs sh with argv[0] set to name, alive for a minute, and
// ends it when the test does.
func startHelper(t *testing.T, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command("/bin/sh")
	cmd.Args = append([]string{name, "-c", "sleep 60; true"}, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

func TestChildPID(t *testing.T) {
	pid := startHelper(t, "helper")
	got, err := childPID(os.Getpid(), "sh")
	if err != nil || got != pid {
		t.Fatalf("childPID(self, sh) = %d, %v; want %d", got, err, pid)
	}
	if _, err := childPID(os.Getpid(), "containerd"); err == nil {
		t.Error("childPID found a containerd child that does not exist")
	}
}

func TestShims(t *testing.T) {
	ours := startHelper(t, "/usr/bin/containerd-shim-runc-v2", "-id", "sb1", "-address", "/run/ours.sock")
	startHelper(t, "/usr/bin/containerd-shim-runc-v2", "-id", "sb2", "-address", "/run/other.sock")
	startHelper(t, "/usr/bin/other", "-id", "sb3", "-address", "/run/ours.sock")
	if got, want := shims("/run/ours.sock"), map[int]string{ours: "sb1"}; !maps.Equal(got, want) {
		t.Errorf("shims = %v, want %v", got, want)
	}
}

func TestKubeletReportPrint(t *testing.T) {
	r := &KubeletReport{
		Floor:      latencyOf([]time.Duration{300 * time.Millisecond, 400 * time.Millisecond}),
		Sequential: latencyOf([]time.Duration{500 * time.Millisecond, 600 * time.Millisecond}),
		Ratio:      1.5, BatchSize: 30,
		Idle: []Footprint{{Pods: 30, Seconds: 30, AgentCPUPercent: 0.5, AgentRSSMiB: 40}},
	}
	var b bytes.Buffer
	r.Print(&b)
	flat := strings.Join(strings.Fields(b.String()), " ")
	for _, want := range []string{"CRI floor (sequential) 2 300 300 400", "kubelet, batch of 30 0", "floor p99: 1.50", "30 30 0.50 40.0"} {
		if !strings.Contains(flat, want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
