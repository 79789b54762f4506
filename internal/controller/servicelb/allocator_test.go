package servicelb

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// step is one allocator call: allocate (want may be ""), release or
// restore (want is the restored address).
type step struct {
	op, key, want string
	// got is the address expected back ("" for none); err the error.
	got string
	err error
}

func TestAllocator(t *testing.T) {
	tests := []struct {
		name  string
		pool  []string
		steps []step
	}{
		{name: "lowest free first, stable per key", pool: []string{"10.0.0.0/29"}, steps: []step{
			{op: "allocate", key: "a", got: "10.0.0.1"},
			{op: "allocate", key: "b", got: "10.0.0.2"},
			{op: "allocate", key: "a", got: "10.0.0.1"},
		}},
		{name: "requested address honoured", pool: []string{"10.0.0.10-10.0.0.20"}, steps: []step{
			{op: "allocate", key: "a", want: "10.0.0.15", got: "10.0.0.15"},
			{op: "allocate", key: "b", got: "10.0.0.10"},
		}},
		{name: "requested address taken or outside falls back", pool: []string{"10.0.0.10-10.0.0.20"}, steps: []step{
			{op: "allocate", key: "a", want: "10.0.0.15", got: "10.0.0.15"},
			{op: "allocate", key: "b", want: "10.0.0.15", got: "10.0.0.10"},
			{op: "allocate", key: "c", want: "192.168.1.1", got: "10.0.0.11"},
		}},
		{name: "changed request moves the key", pool: []string{"10.0.0.10-10.0.0.11"}, steps: []step{
			{op: "allocate", key: "a", got: "10.0.0.10"},
			{op: "allocate", key: "a", want: "10.0.0.11", got: "10.0.0.11"},
			{op: "allocate", key: "b", got: "10.0.0.10"},
		}},
		{name: "exhaustion and release", pool: []string{"10.0.0.0/30"}, steps: []step{
			{op: "allocate", key: "a", got: "10.0.0.1"},
			{op: "allocate", key: "b", got: "10.0.0.2"},
			{op: "allocate", key: "c", err: ErrPoolExhausted},
			{op: "release", key: "a"},
			{op: "allocate", key: "c", got: "10.0.0.1"},
		}},
		{name: "rebuild from statuses", pool: []string{"10.0.0.0/29"}, steps: []step{
			{op: "restore", key: "a", want: "10.0.0.3", got: "10.0.0.3"},
			{op: "restore", key: "dup", want: "10.0.0.3"},
			{op: "restore", key: "outside", want: "10.0.0.7"},
			{op: "allocate", key: "a", got: "10.0.0.3"},
			{op: "allocate", key: "dup", got: "10.0.0.1"},
			{op: "allocate", key: "b", want: "10.0.0.3", got: "10.0.0.2"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePool(tt.pool)
			if err != nil {
				t.Fatal(err)
			}
			al := newAllocator(p)
			for i, s := range tt.steps {
				got, err := run(al, s)
				if !errors.Is(err, s.err) {
					t.Fatalf("step %d %+v: err %v", i, s, err)
				}
				if diff := cmp.Diff(s.got, got); diff != "" {
					t.Fatalf("step %d %+v (-want +got):\n%s", i, s, diff)
				}
			}
		})
	}
}

// run applies s and returns the address it yields, "" for none.
func run(al *allocator, s step) (string, error) {
	want, _ := netip.ParseAddr(s.want)
	switch s.op {
	case "allocate":
		a, err := al.allocate(s.key, want)
		if err != nil {
			return "", err
		}
		return a.String(), nil
	case "restore":
		if al.restore(s.key, want) {
			return want.String(), nil
		}
	case "release":
		al.release(s.key)
	}
	return "", nil
}
