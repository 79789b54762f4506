package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// idleFootprint samples the agent and its containerd over an idle
// window with pods pods running, and sums the RSS of the shims of the
// node's sandboxes at the end (each shim outlives the agent, so it is no
// child of either).
func (k *kubeletRun) idleFootprint(ctx context.Context, pods int) (Footprint, error) {
	fmt.Fprintf(k.out, "idle footprint with %d pods for %s ...\n", pods, k.opts.Idle)
	wall, figs, err := measure([]int{k.agentPID, k.containerdPID}, func() error {
		select {
		case <-time.After(k.opts.Idle):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		return Footprint{}, err
	}
	pct := func(f ProcFigures) float64 { return 100 * f.CPUSeconds / wall.Seconds() }
	f := Footprint{Pods: pods, Seconds: wall.Seconds(),
		AgentCPUPercent: pct(figs[0]), AgentRSSMiB: figs[0].PeakRSSMiB, AgentAnonMiB: figs[0].PeakAnonMiB,
		ContainerdCPU: pct(figs[1]), ContainerdRSSMiB: figs[1].PeakRSSMiB}
	sbs, err := k.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return f, err
	}
	running := map[string]bool{}
	for _, sb := range sbs.Items {
		running[sb.Id] = true
	}
	for pid, id := range shims(k.socket) {
		if u, err := pidUsage(pid); err == nil && running[id] {
			f.ShimsCount++
			f.ShimsRSSMiB += mib(u.RSSBytes)
		}
	}
	return f, nil
}

// shims maps each runc shim serving the containerd at socket to the
// sandbox it serves (its -id).
func shims(socket string) map[int]string {
	out := map[int]string{}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, c := range cmdlines {
		b, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") || !slices.Contains(args, socket) {
			continue
		}
		id := ""
		if i := slices.Index(args, "-id"); i >= 0 && i+1 < len(args) {
			id = args[i+1]
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(c))); err == nil {
			out[pid] = id
		}
	}
	return out
}
