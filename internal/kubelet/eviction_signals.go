package kubelet

import (
	"context"
	"os"
	"syscall"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// observation is one signal's current value and the capacity its
// percentages are of.
type observation struct{ available, capacity int64 }

// observations are the signals as last measured.
type observations map[Signal]observation

// observe measures every signal: memory from /proc/meminfo
// (MemAvailable of MemTotal, where Kubernetes reads the root cgroup's
// working set), nodefs from the data dir's filesystem and imagefs from
// the one CRI reports for images.
func (k *Kubelet) observe(ctx context.Context) observations {
	mem := meminfo()
	out := observations{SignalMemoryAvailable: {available: mem["MemAvailable"], capacity: mem["MemTotal"]}}
	addFs(out, k.cfg.DataDir, SignalNodeFsAvailable, SignalNodeFsInodesFree)
	addFs(out, k.imageFsPath(ctx), SignalImageFsAvailable, SignalImageFsInodesFree)
	return out
}

// addFs adds the free bytes and inodes of path's filesystem.
func addFs(out observations, path string, bytes, inodes Signal) {
	var fs syscall.Statfs_t
	if syscall.Statfs(path, &fs) != nil || fs.Blocks == 0 {
		return
	}
	out[bytes] = observation{available: int64(fs.Bavail) * fs.Bsize, capacity: int64(fs.Blocks) * fs.Bsize}
	if fs.Files > 0 {
		out[inodes] = observation{available: int64(fs.Ffree), capacity: int64(fs.Files)}
	}
}

// imageFsPath is where the runtime keeps images (CRI ImageFsInfo),
// else, when that is not a directory here, the data dir.
func (k *Kubelet) imageFsPath(ctx context.Context) string {
	resp, err := k.cfg.Runtime.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
	if err == nil {
		for _, fs := range resp.GetImageFilesystems() {
			if mp := fs.GetFsId().GetMountpoint(); mp != "" && isDir(mp) {
				return mp
			}
		}
	}
	return k.cfg.DataDir
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// thresholdMet is a threshold the node is below, with what was observed.
type thresholdMet struct {
	Threshold
	obs observation
}

// thresholdsMet returns the thresholds whose signal is below them;
// signals not observed never are.
func thresholdsMet(ths []Threshold, obs observations) []thresholdMet {
	var out []thresholdMet
	for _, t := range ths {
		o, ok := obs[t.Signal]
		if ok && o.available < t.limit(o.capacity).Value() {
			out = append(out, thresholdMet{t, o})
		}
	}
	return out
}

// isMemory reports the signals of MemoryPressure; the rest are disk.
func (s Signal) isMemory() bool { return s == SignalMemoryAvailable }
