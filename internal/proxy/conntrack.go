package proxy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os/exec"
	"slices"

	"sigs.k8s.io/knftables"
)

// staleUDPFlows lists the conntrack filters whose flows must go when a
// Service moves from old to new (either may be nil). UDP has no close,
// so a client keeps its flow: flows DNATed to a removed endpoint, and
// flows that met a no-endpoint reject and would now stay un-NATed,
// must be deleted for the client to reach a live endpoint.
func staleUDPFlows(old, new *serviceRules) [][]string {
	if old == nil {
		return nil
	}
	var out [][]string
	for _, ip := range slices.SortedFunc(maps.Keys(old.udpEndpoints), netip.Addr.Compare) {
		if new == nil || !new.udpEndpoints[ip] {
			out = append(out, []string{"-D", "-p", "udp", "--dst-nat", ip.String()})
		}
	}
	if new == nil {
		return out
	}
	for _, id := range slices.Sorted(maps.Keys(old.elements)) {
		e := old.elements[id]
		if _, still := new.elements[id]; still || !rejectsUDP(e) {
			continue
		}
		if e.Map == noEndpointNodePortsMap {
			out = append(out, []string{"-D", "-p", "udp", "--orig-port-dst", e.Key[1]})
		} else {
			out = append(out, []string{"-D", "-p", "udp", "--orig-dst", e.Key[0], "--orig-port-dst", e.Key[2]})
		}
	}
	return out
}

func rejectsUDP(e *knftables.Element) bool {
	switch e.Map {
	case noEndpointServicesMap:
		return e.Key[1] == "udp"
	case noEndpointNodePortsMap:
		return e.Key[0] == "udp"
	}
	return false
}

// flushConntrack is best-effort, as in kube-proxy.
func (p *Proxier) flushConntrack(ctx context.Context, args []string) {
	if err := p.cfg.conntrack(ctx, args...); err != nil {
		p.log.Debug("flush conntrack", "args", args, "err", err)
	}
}

// runConntrack runs conntrack; its exit status 1 only means that no
// flow matched.
func runConntrack(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "conntrack", args...).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("conntrack %v: %w: %s", args, err, out)
	}
	return nil
}
