// Package network prepares a node's host side of the pod network:
// forwarding, masquerading of pod traffic that leaves the cluster, a
// route to every other node's pod range through that node's address
// (host-gateway), and a dummy interface that swallows traffic to service
// addresses no proxy rule claimed. The bridge itself is CNI's job
// (internal/agent/cni); Services are internal/proxy's.
package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/knftables"
)

// Config is one node's host network; zero values take the defaults.
type Config struct {
	// Client watches Nodes for their pod ranges. Required for Run.
	Client kubernetes.Interface
	// NodeName is this node; its own pod range needs no route.
	NodeName string
	// ClusterCIDR is every pod's range (10.42.0.0/16). Pod traffic to
	// anywhere outside it is masqueraded.
	ClusterCIDR netip.Prefix
	// ServiceCIDR is routed to the ServiceInterface (10.43.0.0/16).
	ServiceCIDR netip.Prefix
	// ServiceInterface is the dummy interface that drops traffic to
	// unprogrammed service addresses and holds LocalAddrs ("skiff-svc").
	ServiceInterface string
	// LocalAddrs are addresses node-local servers listen on, such as the
	// cluster DNS address.
	LocalAddrs []netip.Addr
	// Table is the nftables table for masquerading ("skiff-net").
	Table string
	Log   *slog.Logger

	nft knftables.Interface // tests inject a fake
	ip  ipRunner            // tests inject a recorder
}

func (c *Config) setDefaults() error {
	if !c.ClusterCIDR.IsValid() {
		c.ClusterCIDR = netip.MustParsePrefix("10.42.0.0/16")
	}
	if !c.ServiceCIDR.IsValid() {
		c.ServiceCIDR = netip.MustParsePrefix("10.43.0.0/16")
	}
	if !c.ClusterCIDR.Addr().Is4() || !c.ServiceCIDR.Addr().Is4() {
		return errors.New("network: cluster and service CIDRs must be IPv4")
	}
	c.ClusterCIDR, c.ServiceCIDR = c.ClusterCIDR.Masked(), c.ServiceCIDR.Masked()
	if c.ServiceInterface == "" {
		c.ServiceInterface = "skiff-svc"
	}
	if len(c.ServiceInterface) > 15 {
		return fmt.Errorf("network: interface name %q longer than 15 bytes", c.ServiceInterface)
	}
	if c.Table == "" {
		c.Table = "skiff-net"
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.ip == nil {
		c.ip = execIP{}
	}
	return nil
}

// Host is a node's host network.
type Host struct {
	cfg Config
}

// New checks cfg; it changes nothing on the host.
func New(cfg Config) (*Host, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Host{cfg: cfg}, nil
}

// Setup enables forwarding, installs the masquerade table and the
// service interface. It is idempotent, so a restarted agent calls it
// again.
func (h *Host) Setup(ctx context.Context) error {
	if err := enableForwarding(h.cfg.Log); err != nil {
		return err
	}
	if err := h.writeMasquerade(ctx); err != nil {
		return fmt.Errorf("masquerade rules: %w", err)
	}
	if err := h.ensureServiceInterface(ctx); err != nil {
		return fmt.Errorf("service interface %s: %w", h.cfg.ServiceInterface, err)
	}
	return nil
}

// Cleanup removes what Setup and Run installed: the table, the routes to
// other nodes and the service interface. Missing pieces are not errors.
func (h *Host) Cleanup(ctx context.Context) error {
	var errs []error
	if nft, err := h.nft(); err == nil {
		tx := nft.NewTransaction()
		tx.Delete(&knftables.Table{})
		if err := nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
			errs = append(errs, err)
		}
	} else {
		errs = append(errs, err)
	}
	routes, err := h.ownRoutes(ctx)
	errs = append(errs, err)
	for dst := range routes {
		errs = append(errs, h.cfg.ip.run(ctx, "route", "del", dst.String(), "proto", routeProto))
	}
	if h.linkExists(ctx) {
		errs = append(errs, h.cfg.ip.run(ctx, "link", "del", h.cfg.ServiceInterface))
	}
	return errors.Join(errs...)
}

func (h *Host) nft() (knftables.Interface, error) {
	if h.cfg.nft != nil {
		return h.cfg.nft, nil
	}
	nft, err := knftables.New(knftables.IPv4Family, h.cfg.Table)
	if err != nil {
		return nil, err
	}
	h.cfg.nft = nft
	return nft, nil
}
