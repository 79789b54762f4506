package network

import (
	"context"
	"encoding/json"
	"net/netip"
)

// ensureServiceInterface creates the service interface, routes the whole
// service range to it and gives it LocalAddrs. A packet to a service
// address that no proxy rule rewrote is routed there and discarded on
// this machine, instead of following the default route off it.
func (h *Host) ensureServiceInterface(ctx context.Context) error {
	ifname := h.cfg.ServiceInterface
	if !h.linkExists(ctx) {
		// A kernel without the dummy driver gets a bridge without ports,
		// which discards what is routed to it just the same.
		if err := h.cfg.ip.run(ctx, "link", "add", ifname, "type", "dummy"); err != nil {
			if err := h.cfg.ip.run(ctx, "link", "add", ifname, "type", "bridge"); err != nil {
				return err
			}
		}
	}
	if err := h.cfg.ip.run(ctx, "link", "set", ifname, "up"); err != nil {
		return err
	}
	if err := h.cfg.ip.run(ctx, "route", "replace", h.cfg.ServiceCIDR.String(), "dev", ifname, "proto", routeProto); err != nil {
		return err
	}
	have, err := h.interfaceAddrs(ctx)
	if err != nil {
		return err
	}
	for _, a := range h.cfg.LocalAddrs {
		if have[a] {
			continue
		}
		if err := h.cfg.ip.run(ctx, "addr", "add", netip.PrefixFrom(a, a.BitLen()).String(), "dev", ifname); err != nil {
			return err
		}
	}
	return nil
}

func (h *Host) linkExists(ctx context.Context) bool {
	return h.cfg.ip.run(ctx, "link", "show", "dev", h.cfg.ServiceInterface) == nil
}

// interfaceAddrs lists the service interface's addresses.
func (h *Host) interfaceAddrs(ctx context.Context) (map[netip.Addr]bool, error) {
	out, err := h.cfg.ip.output(ctx, "-j", "addr", "show", "dev", h.cfg.ServiceInterface)
	if err != nil {
		return nil, err
	}
	var links []struct {
		AddrInfo []struct {
			Local string `json:"local"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return nil, err
	}
	have := map[netip.Addr]bool{}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			if ip, err := netip.ParseAddr(a.Local); err == nil {
				have[ip] = true
			}
		}
	}
	return have, nil
}
