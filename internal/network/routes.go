package network

import (
	"context"
	"encoding/json"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/nodeaddr"
)

// routeProto tags the routes skiff owns, so a restarted agent finds and
// replaces its own and never touches anyone else's. 0x5b is unassigned
// in iproute2's rt_protos.
const routeProto = "0x5b"

// resyncPeriod repairs routes someone else removed.
const resyncPeriod = time.Minute

// Run keeps a route to every other node's pod range via that node's
// InternalIP until ctx ends. The routes stay when it returns: pods keep
// talking across nodes while the agent restarts.
func (h *Host) Run(ctx context.Context) error {
	f := informers.NewSharedInformerFactory(h.cfg.Client, resyncPeriod)
	nodes := f.Core().V1().Nodes()
	kick := make(chan struct{}, 1)
	notify := func(any) {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: notify, UpdateFunc: func(_, n any) { notify(n) }, DeleteFunc: notify,
	}); err != nil {
		return err
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	f.WaitForCacheSync(ctx.Done())
	tick := time.NewTicker(resyncPeriod)
	defer tick.Stop()
	for {
		list, err := nodes.Lister().List(labels.Everything())
		if err == nil {
			err = h.syncRoutes(ctx, desiredRoutes(h.cfg.NodeName, h.cfg.ClusterCIDR, list))
		}
		if err != nil && ctx.Err() == nil {
			h.cfg.Log.Error("node routes", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		case <-tick.C:
		}
	}
}

// desiredRoutes maps every other node's IPv4 pod range inside the
// cluster range to its InternalIP.
func desiredRoutes(self string, cluster netip.Prefix, nodes []*corev1.Node) map[netip.Prefix]netip.Addr {
	want := map[netip.Prefix]netip.Addr{}
	for _, n := range nodes {
		if n.Name == self {
			continue
		}
		gw, ok := internalIPv4(n)
		if !ok {
			continue
		}
		cidrs := n.Spec.PodCIDRs
		if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
			cidrs = []string{n.Spec.PodCIDR}
		}
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(c)
			if err != nil || !p.Addr().Is4() || !cluster.Overlaps(p) {
				continue
			}
			want[p.Masked()] = gw
		}
	}
	return want
}

func internalIPv4(n *corev1.Node) (netip.Addr, bool) {
	for _, ip := range nodeaddr.InternalIPs(n) {
		if ip.Is4() {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// syncRoutes makes the node routes skiff owns exactly want.
func (h *Host) syncRoutes(ctx context.Context, want map[netip.Prefix]netip.Addr) error {
	have, err := h.ownRoutes(ctx)
	if err != nil {
		return err
	}
	for dst, gw := range have {
		if dst == h.cfg.ServiceCIDR {
			continue
		}
		if w, ok := want[dst]; ok && w == gw {
			delete(want, dst)
			continue
		}
		if _, ok := want[dst]; !ok {
			h.cfg.Log.Info("removing route to a node's pods", "podCIDR", dst)
			if err := h.cfg.ip.run(ctx, "route", "del", dst.String(), "proto", routeProto); err != nil {
				return err
			}
		}
	}
	for dst, gw := range want {
		h.cfg.Log.Info("route to a node's pods", "podCIDR", dst, "via", gw)
		if err := h.cfg.ip.run(ctx, "route", "replace", dst.String(), "via", gw.String(), "proto", routeProto); err != nil {
			return err
		}
	}
	return nil
}

// ownRoutes lists the IPv4 routes tagged routeProto, with their gateway
// (invalid for device routes).
func (h *Host) ownRoutes(ctx context.Context) (map[netip.Prefix]netip.Addr, error) {
	out, err := h.cfg.ip.output(ctx, "-4", "-j", "route", "show", "proto", routeProto)
	if err != nil {
		return nil, err
	}
	var routes []struct {
		Dst     string `json:"dst"`
		Gateway string `json:"gateway"`
	}
	if len(out) > 0 {
		if err := json.Unmarshal(out, &routes); err != nil {
			return nil, err
		}
	}
	have := map[netip.Prefix]netip.Addr{}
	for _, r := range routes {
		dst, err := netip.ParsePrefix(r.Dst)
		if err != nil {
			if a, aerr := netip.ParseAddr(r.Dst); aerr == nil {
				dst = netip.PrefixFrom(a, a.BitLen())
			} else {
				continue
			}
		}
		gw, _ := netip.ParseAddr(r.Gateway)
		have[dst] = gw
	}
	return have, nil
}
