package images

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestWriteTar(t *testing.T) {
	out := t.TempDir() + "/x.tar"
	files := []File{{Path: "bin/busybox", Mode: 0o755, Data: []byte("elf")}, {Path: "bin/sh", Link: "busybox"}}
	if err := WriteTar(out, "skiff.local/x:1", []string{"/bin/sh"}, files); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/bin/sh" {
		t.Errorf("config: os %q entrypoint %q", cf.OS, cf.Config.Entrypoint)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
}
