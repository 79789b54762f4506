package bench

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestControllersTiny rolls a 20-replica Deployment out on 3 hollow nodes
// through a real `skiff server` child process.
func TestControllersTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs skiff")
	}
	bin := filepath.Join(t.TempDir(), "skiff")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/skiff").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := RunControllers(ctx, ControllersOptions{Nodes: 3, Replicas: 20, Binary: bin, DataDir: t.TempDir()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Phases) != 2 || r.Phases[0].Name != "create" || r.Phases[1].Name != "rolling update" {
		t.Fatalf("phases: %+v", r.Phases)
	}
	for _, p := range r.Phases {
		if p.Pods != 20 || p.OldPods != 0 {
			t.Errorf("%s: %d pods, %d with another template; want 20 and 0", p.Name, p.Pods, p.OldPods)
		}
		if p.Seconds <= 0 || p.Server.PeakRSSMiB <= 0 || p.Controllers.PeakRSSMiB <= 0 {
			t.Errorf("%s: figures not measured: %+v", p.Name, p)
		}
	}
}
