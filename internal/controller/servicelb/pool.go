package servicelb

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// addrRange is an inclusive range of IPv4 addresses.
type addrRange struct{ first, last netip.Addr }

func (r addrRange) contains(a netip.Addr) bool {
	return r.first.Compare(a) <= 0 && a.Compare(r.last) <= 0
}

// Pool is a set of IPv4 addresses LoadBalancer Services are given. The
// zero Pool is empty.
type Pool struct{ ranges []addrRange }

// ParsePool parses address ranges, each a CIDR ("192.168.50.0/28",
// without its network and broadcast addresses when it has more than two)
// or an inclusive range ("192.168.50.10-192.168.50.20"). Ranges must be
// IPv4 and must not overlap. No ranges give an empty Pool.
func ParsePool(specs []string) (Pool, error) {
	var p Pool
	for _, s := range specs {
		r, err := parseRange(strings.TrimSpace(s))
		if err != nil {
			return Pool{}, fmt.Errorf("address pool range %q: %w", s, err)
		}
		for _, o := range p.ranges {
			if o.contains(r.first) || o.contains(r.last) || r.contains(o.first) {
				return Pool{}, fmt.Errorf("address pool range %q overlaps %s-%s", s, o.first, o.last)
			}
		}
		p.ranges = append(p.ranges, r)
	}
	return p, nil
}

func parseRange(s string) (addrRange, error) {
	if from, to, ok := strings.Cut(s, "-"); ok {
		first, err := parseIPv4(from)
		if err != nil {
			return addrRange{}, err
		}
		last, err := parseIPv4(to)
		if err != nil {
			return addrRange{}, err
		}
		if last.Less(first) {
			return addrRange{}, errors.New("last address is before the first")
		}
		return addrRange{first, last}, nil
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return addrRange{}, err
	}
	if !prefix.Addr().Is4() {
		return addrRange{}, errors.New("not IPv4")
	}
	prefix = prefix.Masked()
	r := addrRange{prefix.Addr(), lastAddr(prefix)}
	// As in any subnet, the network and broadcast addresses are not hosts;
	// /31 and /32 have no such addresses (RFC 3021).
	if prefix.Bits() < 31 {
		r = addrRange{r.first.Next(), r.last.Prev()}
	}
	return r, nil
}

func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return a, err
	}
	if !a.Is4() {
		return a, fmt.Errorf("%s is not IPv4", a)
	}
	return a, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Empty reports whether the pool has no addresses: Services then get
// node addresses.
func (p Pool) Empty() bool { return len(p.ranges) == 0 }

// Contains reports whether a is in the pool.
func (p Pool) Contains(a netip.Addr) bool {
	for _, r := range p.ranges {
		if r.contains(a) {
			return true
		}
	}
	return false
}

// each calls f for the pool's addresses in order until f returns true.
func (p Pool) each(f func(netip.Addr) bool) {
	for _, r := range p.ranges {
		for a := r.first; a.IsValid() && a.Compare(r.last) <= 0; a = a.Next() {
			if f(a) {
				return
			}
		}
	}
}
