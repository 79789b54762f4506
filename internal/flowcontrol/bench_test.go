package flowcontrol

import (
	"context"
	"testing"
)

// BenchmarkBegin measures classification plus seat accounting of one
// request under Kubernetes' bootstrap configuration.
func BenchmarkBegin(b *testing.B) {
	snap, _ := bootstrapSnapshot(b, 600, nil)
	c := New(Config{})
	c.snap.Store(snap)
	cases := map[string]Digest{
		// The first schema matches.
		"exempt": {User: "admin", Groups: []string{"system:masters", "system:authenticated"}, IsResource: true, Verb: "create", Resource: "pods/binding", Namespace: "default"},
		// The scheduler's bindings: eight schemas are tried.
		"kube-scheduler": {User: "system:kube-scheduler", Groups: []string{"system:authenticated"}, IsResource: true, Verb: "create", Resource: "pods/binding", Namespace: "default"},
		// A plain user falls through to global-default.
		"global-default": {User: "alice", Groups: []string{"system:authenticated"}, IsResource: true, Verb: "get", Resource: "pods", Namespace: "default"},
	}
	for name, d := range cases {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				o, rejected := c.Begin(ctx, &d)
				if rejected {
					b.Fatal("rejected")
				}
				o.Done()
			}
		})
	}
}
