package containerd

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata golden files")

func TestRenderGolden(t *testing.T) {
	got, err := Config{Dir: "/var/lib/skiff/containerd", SandboxImage: "skiff.local/pause:1", CNIConfDir: "/var/lib/skiff/cni/net.d"}.Render()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "config.toml")
	if *rewrite {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("config (-want +got), run with -rewrite if intended:\n%s", d)
	}
}

func TestRenderRequiresPaths(t *testing.T) {
	if _, err := (Config{Dir: "/x"}).Render(); err == nil {
		t.Error("Render without SandboxImage and CNIConfDir: want error")
	}
}
