package bench

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// netnsEnv marks a process started by RunInOwnNetns.
const netnsEnv = "SKIFF_BENCH_NETNS"

// InOwnNetns tells whether this process was started by RunInOwnNetns,
// so that nftables rules it writes touch only a throwaway namespace.
func InOwnNetns() bool { return os.Getenv(netnsEnv) == "1" }

// RunInOwnNetns runs this executable again with args in a new network
// namespace, which goes away with the child, and waits for it. An
// interrupt is passed on so the child can clean up.
func RunInOwnNetns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	return cmd.Run()
}

// upLoopback brings up lo, which a new network namespace starts without.
func upLoopback() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// checkNetworkHost refuses to write nftables rules outside a namespace
// of our own, and needs root and nft.
func checkNetworkHost() error {
	if !InOwnNetns() {
		return errors.New("bench network: must run in its own network namespace (RunInOwnNetns)")
	}
	if os.Geteuid() != 0 {
		return errors.New("bench network: needs root for nftables")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		return errors.New("bench network: needs the nft binary")
	}
	return upLoopback()
}
