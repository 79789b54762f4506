// Package images builds and imports the container images a skiff node
// needs without a registry: skiff's pause image, and any docker-archive or
// OCI tarball placed in the node's images directory.
package images

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Pause is the tag of skiff's pause image, containerd's sandbox_image.
const Pause = "skiff.local/pause:1"

// Namespace is the containerd namespace the CRI plugin uses.
const Namespace = "k8s.io"

// File is one entry of an image layer: a regular file with Data, or a
// symlink to Link when Link is set.
type File struct {
	Path string
	Mode int64
	Data []byte
	Link string
}

// WriteTar writes a single-layer linux image for this machine's
// architecture, tagged tag, as a docker-archive tarball at out.
func WriteTar(out, tag string, entrypoint []string, files []File) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", tag, err)
	}
	layerTar, err := tarLayer(files)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil })
	if err != nil {
		return fmt.Errorf("image %s layer: %w", tag, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = entrypoint
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := tarball.WriteToFile(out, ref, img); err != nil {
		return fmt.Errorf("write image %s: %w", out, err)
	}
	return nil
}

// tarLayer returns a layer tarball holding files, with their parent
// directories.
func tarLayer(files []File) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	dirs := map[string]bool{}
	epoch := time.Unix(0, 0)
	for _, f := range files {
		p := strings.TrimPrefix(filepath.Clean("/"+f.Path), "/")
		for d := filepath.Dir(p); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch}); err != nil {
				return nil, err
			}
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: f.Mode, Size: int64(len(f.Data)), ModTime: epoch}
		if f.Link != "" {
			h = &tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: f.Link, Mode: 0o777, ModTime: epoch}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if f.Link == "" {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WritePauseTar packs the static pause binary at pauseBinary into the
// image Pause, written to out.
func WritePauseTar(pauseBinary, out string) error {
	data, err := os.ReadFile(pauseBinary)
	if err != nil {
		return fmt.Errorf("pause binary: %w", err)
	}
	return WriteTar(out, Pause, []string{"/pause"}, []File{{Path: "pause", Mode: 0o755, Data: data}})
}

// Import loads docker-archive or OCI tarballs into the containerd at
// address, in the CRI namespace, with `ctr images import`.
func Import(ctx context.Context, address string, files ...string) error {
	for _, f := range files {
		cmd := exec.CommandContext(ctx, "ctr", "--address", address, "--namespace", Namespace, "images", "import", f)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("import %s: %w: %s", f, err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// TarsIn lists the *.tar files of dir in name order; a missing dir has
// none.
func TarsIn(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tar"))
	sort.Strings(files)
	return files, err
}

// FindPause returns skiff-pause beside the running executable, else the
// one on PATH; "" if there is none.
func FindPause() string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "skiff-pause")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("skiff-pause")
	return p
}
