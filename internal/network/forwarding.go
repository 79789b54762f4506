package network

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
)

// procSys is where sysctls live; a variable so tests can point it away.
var procSys = "/proc/sys"

// enableForwarding turns on IPv4 forwarding, which routing pod traffic
// needs, and bridge netfilter, without which a pod reaching a Service
// whose endpoint sits on the same bridge never gets de-NATed replies.
func enableForwarding(log *slog.Logger) error {
	if err := writeSysctl("net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	const bridgeNF = "net/bridge/bridge-nf-call-iptables"
	if _, err := os.Stat(procSys + "/" + bridgeNF); os.IsNotExist(err) {
		// The module may just not be loaded yet; a failure leaves the
		// warning below.
		_ = exec.Command("modprobe", "br_netfilter").Run()
	}
	if err := writeSysctl(bridgeNF, "1"); err != nil {
		log.Warn("bridge netfilter unavailable: pods reaching a Service backed by a pod on the same node may hang", "err", err)
	}
	return nil
}

func writeSysctl(name, value string) error {
	path := procSys + "/" + name
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == value {
		return nil
	}
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", strings.ReplaceAll(name, "/", "."), value, err)
	}
	return nil
}
