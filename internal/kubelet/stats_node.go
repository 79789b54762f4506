package kubelet

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

// userHZ is the unit of /proc/stat's CPU times (USER_HZ, 100 on every
// Linux architecture Go supports).
const userHZ = 100

// procCPU reads the machine's busy CPU time in core-nanoseconds (user,
// nice, system, irq and softirq of /proc/stat's cpu line: idle, iowait
// and the time the hypervisor stole are not this machine's use) and its
// boot time.
func procCPU(stat string) (busy uint64, boot time.Time, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(stat))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 9 && f[0] == "cpu":
			for _, i := range []int{1, 2, 3, 6, 7} {
				if n, err := strconv.ParseUint(f[i], 10, 64); err == nil {
					busy += n
				}
			}
			ok = true
		case len(f) == 2 && f[0] == "btime":
			if s, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				boot = time.Unix(s, 0)
			}
		}
	}
	return busy * (1e9 / userHZ), boot, ok
}

// nodeMemory is the machine's memory as cadvisor reports the root
// cgroup's: usage is all but free memory, the working set leaves out
// inactive page cache, available is capacity minus the working set.
func nodeMemory(mem map[string]int64, at time.Time) *statsapi.MemoryStats {
	total, free := mem["MemTotal"], mem["MemFree"]
	if total == 0 {
		return nil
	}
	usage := uint64(max(total-free, 0))
	ws := uint64(max(total-free-mem["Inactive(file)"], 0))
	avail, rss := uint64(total)-ws, uint64(mem["AnonPages"])
	return &statsapi.MemoryStats{Time: metav1.NewTime(at), UsageBytes: &usage, WorkingSetBytes: &ws, AvailableBytes: &avail, RSSBytes: &rss}
}

// nodeStats is the machine's CPU and memory and, unless cpuMemOnly, its
// filesystems.
func (p *statsProvider) nodeStats(ctx context.Context, now time.Time, cpuMemOnly bool) statsapi.NodeStats {
	ns := statsapi.NodeStats{NodeName: p.k.cfg.NodeName, Memory: nodeMemory(meminfo(), now)}
	if stat, err := os.ReadFile("/proc/stat"); err == nil {
		// Stamped when read: now may be a slow CRI round-trip earlier.
		at := p.k.cfg.Now()
		if busy, boot, ok := procCPU(string(stat)); ok {
			ns.StartTime = metav1.NewTime(boot)
			ns.CPU = &statsapi.CPUStats{Time: metav1.NewTime(at), UsageCoreNanoSeconds: &busy, UsageNanoCores: p.rates.rate("node", at, busy)}
		}
	}
	if cpuMemOnly {
		return ns
	}
	ns.Fs = fsStats(p.k.cfg.DataDir, now)
	ns.Runtime = &statsapi.RuntimeStats{ImageFs: p.imageFs(ctx, now)}
	return ns
}

// imageFs is the filesystem the runtime keeps images on, with the bytes
// and inodes images use there; nil when the runtime does not say.
func (p *statsProvider) imageFs(ctx context.Context, now time.Time) *statsapi.FsStats {
	resp, err := p.rt.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
	if err != nil || len(resp.GetImageFilesystems()) == 0 {
		return nil
	}
	u := resp.GetImageFilesystems()[0]
	fs := fsStats(u.GetFsId().GetMountpoint(), now)
	if fs == nil {
		fs = &statsapi.FsStats{Time: metav1.NewTime(now)}
	}
	fs.UsedBytes, fs.InodesUsed = u64(u.GetUsedBytes()), u64(u.GetInodesUsed())
	return fs
}

// fsStats is the size and free space of path's filesystem; nil when
// path cannot be read.
func fsStats(path string, now time.Time) *statsapi.FsStats {
	var st syscall.Statfs_t
	if path == "" || syscall.Statfs(path, &st) != nil {
		return nil
	}
	bs := uint64(st.Bsize)
	capacity, avail, used := st.Blocks*bs, st.Bavail*bs, (st.Blocks-st.Bfree)*bs
	inodes, free, inUse := st.Files, st.Ffree, st.Files-st.Ffree
	return &statsapi.FsStats{Time: metav1.NewTime(now), CapacityBytes: &capacity, AvailableBytes: &avail, UsedBytes: &used, Inodes: &inodes, InodesFree: &free, InodesUsed: &inUse}
}
