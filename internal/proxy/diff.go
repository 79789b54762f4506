package proxy

import (
	"maps"
	"slices"

	"sigs.k8s.io/knftables"
)

// writeService adds to tx what moves one Service's part of the table
// from old (what was written) to new (what should be); either may be
// nil. Unchanged chains and elements are left alone, so an endpoint
// change touches only what it changes.
func writeService(tx *knftables.Transaction, old, new *serviceRules) {
	if old == nil {
		old = newServiceRules()
	}
	if new == nil {
		new = newServiceRules()
	}
	for _, name := range slices.Sorted(maps.Keys(new.affinity)) {
		if _, ok := old.affinity[name]; !ok {
			// A changed timeout applies once the set is recreated.
			tx.Add(&knftables.Set{Name: name, Type: "ipv4_addr",
				Flags: []knftables.SetFlag{knftables.DynamicFlag, knftables.TimeoutFlag}, Timeout: knftables.PtrTo(new.affinity[name])})
		}
	}
	chains := slices.Sorted(maps.Keys(new.chains))
	// Chains jump to each other: all must exist before any rule.
	for _, name := range chains {
		if _, had := old.chains[name]; !had {
			tx.Add(&knftables.Chain{Name: name})
		}
	}
	for _, name := range chains {
		if rules, had := old.chains[name]; !had || !slices.Equal(rules, new.chains[name]) {
			writeRules(tx, name, new.chains[name])
		}
	}
	writeElements(tx, old.elements, new.elements)
	var staleChains []string
	for _, name := range slices.Sorted(maps.Keys(old.chains)) {
		if _, ok := new.chains[name]; !ok {
			staleChains = append(staleChains, name)
		}
	}
	for _, name := range staleChains {
		tx.Flush(&knftables.Chain{Name: name})
	}
	for _, name := range staleChains {
		tx.Delete(&knftables.Chain{Name: name})
	}
	for _, name := range slices.Sorted(maps.Keys(old.affinity)) {
		if _, ok := new.affinity[name]; !ok {
			tx.Delete(&knftables.Set{Name: name})
		}
	}
}

// writeElements deletes elements gone or changed, then adds new and
// changed ones: nft will not overwrite a map element's value.
func writeElements(tx *knftables.Transaction, old, new map[string]*knftables.Element) {
	for _, id := range slices.Sorted(maps.Keys(old)) {
		if n, ok := new[id]; !ok || !slices.Equal(n.Value, old[id].Value) {
			e := *old[id]
			e.Value = nil
			tx.Delete(&e)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(new)) {
		if o, ok := old[id]; !ok || !slices.Equal(o.Value, new[id].Value) {
			tx.Add(new[id])
		}
	}
}
