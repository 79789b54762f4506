package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

const installHint = "run scripts/install-deps.sh (apt-get install containerd runc containernetworking-plugins nftables iptables conntrack iproute2)"

// preflight is one check of `skiff check`: run returns "" when it
// passes, else what is wrong; fix says how to repair it.
type preflight struct {
	name string
	run  func() string
	fix  string
}

// runCheck verifies the machine can run a skiff node and says how to fix
// what it cannot.
func runCheck(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("skiff check", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	checks := []preflight{
		{"running as root", func() string { return when(os.Geteuid() != 0, "uid %d", os.Geteuid()) }, "run skiff agent (and skiff check) as root"},
		{"cgroups mounted", checkCgroups, "mount cgroup v2 at /sys/fs/cgroup, or the v1 cpu, memory and pids hierarchies under it"},
		{"overlayfs", checkOverlay, "modprobe overlay (kernel module of the overlay filesystem)"},
	}
	for _, bin := range []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr", "nft", "iptables", "conntrack", "ip"} {
		checks = append(checks, preflight{bin + " on PATH", lookPath(bin), installHint})
	}
	for _, p := range []string{"bridge", "host-local", "portmap", "loopback"} {
		checks = append(checks, preflight{"CNI plugin " + p, fileExists("/usr/lib/cni/" + p), installHint})
	}
	failed := 0
	for _, c := range checks {
		if msg := c.run(); msg != "" {
			failed++
			fmt.Printf("FAIL  %-32s %s\n      fix: %s\n", c.name, msg, c.fix)
			continue
		}
		fmt.Printf("ok    %s\n", c.name)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	return nil
}

func when(bad bool, format string, a ...any) string {
	if bad {
		return fmt.Sprintf(format, a...)
	}
	return ""
}

func lookPath(bin string) func() string {
	return func() string {
		_, err := exec.LookPath(bin)
		return when(err != nil, "not found")
	}
}

func fileExists(path string) func() string {
	return func() string {
		_, err := os.Stat(path)
		return when(err != nil, "%s missing", path)
	}
}

func checkCgroups() string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return "" // unified v2
	}
	var missing []string
	for _, c := range []string{"cpu", "memory", "pids"} {
		if _, err := os.Stat("/sys/fs/cgroup/" + c); errors.Is(err, os.ErrNotExist) {
			missing = append(missing, c)
		}
	}
	return when(len(missing) > 0, "no cgroup v2 and v1 hierarchies missing: %s", strings.Join(missing, ", "))
}

func checkOverlay() string {
	b, err := os.ReadFile("/proc/filesystems")
	if err != nil {
		return err.Error()
	}
	if strings.Contains(string(b), "\toverlay\n") {
		return ""
	}
	if _, err := os.Stat("/sys/module/overlay"); err == nil {
		return ""
	}
	return "overlay not in /proc/filesystems"
}
