package network

import (
	"context"

	"sigs.k8s.io/knftables"
)

// writeMasquerade replaces the table with one rule: pod traffic to
// anywhere outside the cluster range leaves with the node's address.
// Traffic between pods, on this node or another, keeps its source.
func (h *Host) writeMasquerade(ctx context.Context) error {
	nft, err := h.nft()
	if err != nil {
		return err
	}
	cidr := h.cfg.ClusterCIDR.String()
	tx := nft.NewTransaction()
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("skiff node network")})
	tx.Add(&knftables.Chain{
		Name: "postrouting", Type: knftables.PtrTo(knftables.NATType),
		Hook: knftables.PtrTo(knftables.PostroutingHook), Priority: knftables.PtrTo(knftables.SNATPriority),
	})
	tx.Flush(&knftables.Chain{Name: "postrouting"})
	tx.Add(&knftables.Rule{
		Chain:   "postrouting",
		Rule:    knftables.Concat("ip saddr", cidr, "ip daddr !=", cidr, "masquerade fully-random"),
		Comment: knftables.PtrTo("pod traffic leaving the cluster"),
	})
	return nft.Run(ctx, tx)
}
