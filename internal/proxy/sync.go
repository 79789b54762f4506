package proxy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/knftables"
)

// fullSync rewrites the whole table in one transaction and removes
// chains and sets nothing owns any more (e.g. left by an earlier run).
func (p *Proxier) fullSync(ctx context.Context) error {
	desired := p.snapshot(nil)
	existing, err := p.existingObjects(ctx)
	if err != nil {
		return err
	}
	tx := p.nft.NewTransaction()
	p.writeSkeleton(tx)
	keep := p.skeletonNames()
	for _, key := range sortedKeys(desired) {
		r := desired[key]
		// Only affinity sets survive a full sync, to keep client state.
		writeService(tx, &serviceRules{affinity: onlyExisting(r.affinity, existing)}, r)
		for name := range r.chains {
			keep[name] = true
		}
		for name := range r.affinity {
			keep[name] = true
		}
	}
	deleteObjects(tx, existing, keep)
	if err := p.nft.Run(ctx, tx); err != nil {
		return fmt.Errorf("full sync of table %s: %w", p.cfg.Table, err)
	}
	p.commit(ctx, desired)
	return nil
}

// partialSync rewrites only the Services marked dirty since the last
// sync. On error they stay dirty.
func (p *Proxier) partialSync(ctx context.Context) error {
	dirty := p.takeDirty()
	if len(dirty) == 0 {
		return nil
	}
	desired := p.snapshot(dirty)
	tx := p.nft.NewTransaction()
	for _, key := range sortedKeys(dirty) {
		writeService(tx, p.written[key], desired[key])
	}
	if tx.NumOperations() > 0 {
		if err := p.nft.Run(ctx, tx); err != nil {
			p.markDirty(slices.Collect(maps.Keys(dirty))...)
			return fmt.Errorf("sync %d services in table %s: %w", len(dirty), p.cfg.Table, err)
		}
	}
	for key := range dirty {
		p.commitOne(ctx, key, desired[key])
	}
	return nil
}

// commit records what a full sync wrote.
func (p *Proxier) commit(ctx context.Context, desired map[types.NamespacedName]*serviceRules) {
	for key := range p.written {
		if desired[key] == nil {
			p.commitOne(ctx, key, nil)
		}
	}
	for key, r := range desired {
		p.commitOne(ctx, key, r)
	}
}

func (p *Proxier) commitOne(ctx context.Context, key types.NamespacedName, r *serviceRules) {
	for _, args := range staleUDPFlows(p.written[key], r) {
		p.flushConntrack(ctx, args)
	}
	if r == nil {
		delete(p.written, key)
		return
	}
	p.written[key] = r
}

// existingObjects lists the table's chains and sets; a missing table
// has none.
func (p *Proxier) existingObjects(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, typ := range []string{"chain", "set", "map"} {
		names, err := p.nft.List(ctx, typ)
		if knftables.IsNotFound(err) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list %ss of table %s: %w", typ, p.cfg.Table, err)
		}
		for _, n := range names {
			out[n] = typ
		}
	}
	return out, nil
}

// deleteObjects removes existing objects not in keep: chains are
// emptied first so none still jumps to another when it goes.
func deleteObjects(tx *knftables.Transaction, existing map[string]string, keep map[string]bool) {
	names := slices.Sorted(maps.Keys(existing))
	for _, n := range names {
		if !keep[n] && existing[n] == "chain" {
			tx.Flush(&knftables.Chain{Name: n})
		}
	}
	for _, n := range names {
		if keep[n] {
			continue
		}
		switch existing[n] {
		case "chain":
			tx.Delete(&knftables.Chain{Name: n})
		case "set":
			tx.Delete(&knftables.Set{Name: n})
		case "map":
			tx.Delete(&knftables.Map{Name: n})
		}
	}
}

func onlyExisting(sets map[string]time.Duration, existing map[string]string) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, t := range sets {
		if existing[name] == "set" {
			out[name] = t
		}
	}
	return out
}

func sortedKeys[V any](m map[types.NamespacedName]V) []types.NamespacedName {
	return slices.SortedFunc(maps.Keys(m), func(a, b types.NamespacedName) int {
		return strings.Compare(a.String(), b.String())
	})
}
