// Package servicealloc hands out Service ClusterIPs and NodePorts. Each
// allocation is an etcd key created only if absent, so that several API
// servers never give one address or port to two Services.
package servicealloc

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Range is a set of allocatable values (IPs or ports) stored under Prefix.
type Range struct {
	client *clientv3.Client
	prefix string
	// size values, value i formatted by format(i).
	size     int
	format   func(i int) string
	contains func(value string) bool
}

// IPRange allocates the addresses of cidr except the network and broadcast
// addresses.
func IPRange(client *clientv3.Client, prefix string, cidr netip.Prefix) (*Range, error) {
	if !cidr.Addr().Is4() {
		return nil, fmt.Errorf("service CIDR %s: only IPv4 is supported", cidr)
	}
	bits := 32 - cidr.Bits()
	if bits < 2 || bits > 20 {
		return nil, fmt.Errorf("service CIDR %s: size must be between /12 and /30", cidr)
	}
	base := cidr.Masked().Addr()
	size := (1 << bits) - 2
	broadcast := offset(base, size+1)
	return &Range{client: client, prefix: prefix, size: size,
		format: func(i int) string { return offset(base, i+1).String() },
		contains: func(v string) bool {
			a, err := netip.ParseAddr(v)
			return err == nil && cidr.Contains(a) && a != base && a != broadcast
		},
	}, nil
}

// Offset returns the address n after base.
func offset(base netip.Addr, n int) netip.Addr {
	v := new(big.Int).SetBytes(base.AsSlice())
	v.Add(v, big.NewInt(int64(n)))
	b := v.FillBytes(make([]byte, 4))
	return netip.AddrFrom4([4]byte(b))
}

// PortRange allocates the ports first..last.
func PortRange(client *clientv3.Client, prefix string, first, last int) *Range {
	return &Range{client: client, prefix: prefix, size: last - first + 1,
		format: func(i int) string { return strconv.Itoa(first + i) },
		contains: func(v string) bool {
			n, err := strconv.Atoi(v)
			return err == nil && n >= first && n <= last
		},
	}
}

// Contains reports whether value belongs to the range.
func (r *Range) Contains(value string) bool { return r.contains(value) }

// ErrAllocated is returned when a requested value belongs to someone else.
type ErrAllocated struct{ Value string }

func (e ErrAllocated) Error() string { return "provided " + e.Value + " is already allocated" }

// ErrFull is returned when no value is free.
var ErrFull = fmt.Errorf("range is full")

// Allocate takes value for owner; taking a value owner already has is fine.
func (r *Range) Allocate(ctx context.Context, value, owner string) error {
	key := r.prefix + value
	resp, err := r.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, owner)).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return err
	}
	if resp.Succeeded {
		return nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 1 && string(kvs[0].Value) == owner {
		return nil
	}
	return ErrAllocated{Value: value}
}

// AllocateNext takes a free value for owner: random tries first, then a
// scan, so that a nearly full range still finds the last free values.
func (r *Range) AllocateNext(ctx context.Context, owner string) (string, error) {
	for try := 0; try < 16; try++ {
		v := r.format(rand.IntN(r.size))
		err := r.Allocate(ctx, v, owner)
		if err == nil {
			return v, nil
		}
		if _, taken := err.(ErrAllocated); !taken {
			return "", err
		}
	}
	return r.scan(ctx, owner)
}

func (r *Range) scan(ctx context.Context, owner string) (string, error) {
	resp, err := r.client.Get(ctx, r.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return "", err
	}
	used := make(map[string]bool, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		used[string(kv.Key)[len(r.prefix):]] = true
	}
	for i := 0; i < r.size; i++ {
		v := r.format(i)
		if used[v] {
			continue
		}
		if err := r.Allocate(ctx, v, owner); err == nil {
			return v, nil
		}
	}
	return "", ErrFull
}

// Release frees value if owner holds it.
func (r *Range) Release(ctx context.Context, value, owner string) error {
	key := r.prefix + value
	_, err := r.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(key), "=", owner)).
		Then(clientv3.OpDelete(key)).Commit()
	return err
}
