package images

import (
	"fmt"
	"os"
)

// busyboxPath is where the host's static busybox lives (Debian's
// busybox-static package).
const busyboxPath = "/bin/busybox"

// WriteBusyboxTar writes an image tagged tag, running /bin/sh, that holds
// the host's static busybox with a symlink in /bin for each applet and an
// empty /tmp: an image for tests and benchmarks that needs no registry.
func WriteBusyboxTar(out, tag string, applets ...string) error {
	bb, err := os.ReadFile(busyboxPath)
	if err != nil {
		return fmt.Errorf("busybox image: %w", err)
	}
	files := []File{{Path: "bin/busybox", Mode: 0o755, Data: bb}}
	for _, applet := range applets {
		files = append(files, File{Path: "bin/" + applet, Link: "busybox"})
	}
	files = append(files, File{Path: "tmp/.keep", Mode: 0o644})
	return WriteTar(out, tag, []string{"/bin/sh"}, files)
}
