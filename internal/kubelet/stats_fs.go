package kubelet

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

// diskUsage is what a directory tree takes: bytes in allocated blocks
// (as du counts) and inodes.
type diskUsage struct{ bytes, inodes uint64 }

func (u *diskUsage) add(o diskUsage) { u.bytes, u.inodes = u.bytes+o.bytes, u.inodes+o.inodes }

// dirUsage walks dir; unreadable entries are skipped.
func dirUsage(dir string) diskUsage {
	var u diskUsage
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				u.add(diskUsage{bytes: uint64(st.Blocks) * 512, inodes: 1})
			}
		}
		return nil
	})
	return u
}

// usageOn is fs (a filesystem's size and free space) with the bytes and
// inodes used set to u.
func usageOn(fs *statsapi.FsStats, u diskUsage, now time.Time) *statsapi.FsStats {
	out := &statsapi.FsStats{Time: metav1.NewTime(now)}
	if fs != nil {
		*out = *fs
	}
	out.UsedBytes, out.InodesUsed = &u.bytes, &u.inodes
	return out
}

// addPodFs fills the pod's container logs, its emptyDir volumes and its
// ephemeral storage, which Kubernetes counts as the containers' writable
// layers, their logs and the disk-backed emptyDirs.
func (p *statsProvider) addPodFs(ps *statsapi.PodStats, now time.Time) {
	nodeFs, logFs := fsStats(p.k.cfg.DataDir, now), fsStats(p.k.cfg.LogRoot, now)
	uid := types.UID(ps.PodRef.UID)
	logDir := p.k.podLogDir(ps.PodRef.Namespace, ps.PodRef.Name, uid)
	var total diskUsage
	for i := range ps.Containers {
		c := &ps.Containers[i]
		logs := dirUsage(filepath.Join(logDir, c.Name))
		c.Logs = usageOn(logFs, logs, now)
		total.add(logs)
		if c.Rootfs != nil && c.Rootfs.UsedBytes != nil {
			total.bytes += *c.Rootfs.UsedBytes
		}
	}
	for _, v := range p.emptyDirs(ps.PodRef) {
		dir := p.k.volumeDir(uid, v.Name)
		u := dirUsage(dir)
		ps.VolumeStats = append(ps.VolumeStats, statsapi.VolumeStats{Name: v.Name, FsStats: *usageOn(fsStats(dir, now), u, now)})
		if v.EmptyDir.Medium != corev1.StorageMediumMemory {
			total.add(u)
		}
	}
	ps.EphemeralStorage = usageOn(nodeFs, total, now)
}

// emptyDirs are the emptyDir volumes of the pod ref names, if the
// kubelet still has it.
func (p *statsProvider) emptyDirs(ref statsapi.PodReference) []corev1.Volume {
	if p.k.pods == nil {
		return nil
	}
	pod, err := p.k.pods.Pods(ref.Namespace).Get(ref.Name)
	if err != nil || string(pod.UID) != ref.UID {
		return nil
	}
	var out []corev1.Volume
	for _, v := range pod.Spec.Volumes {
		if v.EmptyDir != nil {
			out = append(out, v)
		}
	}
	return out
}
