package flowcontrol

import (
	"cmp"
	"hash/fnv"
	"math"
	"slices"
	"time"

	fc "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/types"
)

// snapshot is one configuration: the usable schemas in matching order.
// It is immutable; requests read it without locks.
type snapshot struct {
	schemas []*schema
}

// schema is a FlowSchema with its level resolved.
type schema struct {
	fs       *fc.FlowSchema
	levelUID types.UID
	// lv is nil for an exempt level.
	lv     *level
	series series
}

// levelSet keeps the levels across snapshots, by name.
type levelSet map[string]*level

// build makes a snapshot of the stored objects. serverSeats are shared
// by the Limited levels in proportion to their nominal concurrency
// shares. Schemas whose level is missing (dangling) are left out.
func build(schemas []*fc.FlowSchema, plcs []*fc.PriorityLevelConfiguration, serverSeats int, levels levelSet, m *metrics, waitLimit time.Duration) *snapshot {
	byName := map[string]*fc.PriorityLevelConfiguration{}
	var shares float64
	for _, pl := range plcs {
		byName[pl.Name] = pl
		if l := pl.Spec.Limited; pl.Spec.Type == fc.PriorityLevelEnablementLimited && l != nil && l.NominalConcurrencyShares != nil {
			shares += float64(*l.NominalConcurrencyShares)
		}
	}
	for name := range levels {
		if pl, ok := byName[name]; !ok || pl.Spec.Type != fc.PriorityLevelEnablementLimited {
			delete(levels, name)
		}
	}
	for _, pl := range plcs {
		if pl.Spec.Type != fc.PriorityLevelEnablementLimited || pl.Spec.Limited == nil {
			continue
		}
		lim := limitsOf(pl.Spec.Limited, serverSeats, shares)
		if lv, ok := levels[pl.Name]; ok {
			lv.configure(lim)
		} else {
			levels[pl.Name] = newLevel(lim, waitLimit)
		}
	}
	snap := &snapshot{}
	for _, fs := range schemas {
		pl, ok := byName[fs.Spec.PriorityLevelConfiguration.Name]
		if !ok {
			continue
		}
		snap.schemas = append(snap.schemas, &schema{fs: fs, levelUID: pl.UID, lv: levels[pl.Name], series: m.series(pl.Name, fs.Name)})
	}
	slices.SortFunc(snap.schemas, func(a, b *schema) int {
		return cmp.Or(cmp.Compare(a.fs.Spec.MatchingPrecedence, b.fs.Spec.MatchingPrecedence), cmp.Compare(a.fs.Name, b.fs.Name))
	})
	return snap
}

// limitsOf is Kubernetes' nominal concurrency limit,
// ceil(serverSeats * shares / total shares), and the queuing parameters.
func limitsOf(l *fc.LimitedPriorityLevelConfiguration, serverSeats int, shares float64) limits {
	var lim limits
	if l.NominalConcurrencyShares != nil && shares > 0 {
		lim.seats = int(math.Ceil(float64(serverSeats) * float64(*l.NominalConcurrencyShares) / shares))
	}
	if q := l.LimitResponse.Queuing; l.LimitResponse.Type == fc.LimitResponseTypeQueue && q != nil {
		lim.queues, lim.handSize, lim.queueLength = int(q.Queues), int(q.HandSize), int(q.QueueLengthLimit)
	}
	return lim
}

// classify returns the first schema matching d, or nil.
func (s *snapshot) classify(d *Digest) *schema {
	for _, sc := range s.schemas {
		if matchesSchema(sc.fs, d) {
			return sc
		}
	}
	return nil
}

// flowHash identifies the request's flow: its schema and distinguisher.
func flowHash(sc *schema, d *Digest) uint64 {
	h := fnv.New64a()
	h.Write([]byte(sc.fs.Name))
	h.Write([]byte{0})
	h.Write([]byte(distinguisher(sc.fs, d)))
	return h.Sum64()
}
