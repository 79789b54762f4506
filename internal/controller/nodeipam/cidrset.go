package nodeipam

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"sync"
)

// maxSubnetBits caps how many bits a node subnet may add to the cluster
// CIDR (Kubernetes' 16: at most 65536 node subnets).
const maxSubnetBits = 16

// ErrCIDRRangeFull is returned when every subnet is taken.
var ErrCIDRRangeFull = errors.New("CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range")

// CIDRSet hands out the subnets of one cluster CIDR and remembers which
// node holds which. It is safe for concurrent use.
type CIDRSet struct {
	cluster  netip.Prefix
	maskSize int
	count    int

	mu    sync.Mutex
	used  []bool
	owner map[string]netip.Prefix
	next  int
}

// NewCIDRSet splits cluster into subnets of maskSize bits.
func NewCIDRSet(cluster netip.Prefix, maskSize int) (*CIDRSet, error) {
	cluster = cluster.Masked()
	diff := maskSize - cluster.Bits()
	if diff < 0 || maskSize > cluster.Addr().BitLen() {
		return nil, fmt.Errorf("node CIDR mask size /%d does not fit cluster CIDR %s", maskSize, cluster)
	}
	if diff > maxSubnetBits {
		return nil, fmt.Errorf("node CIDR mask size /%d is more than %d bits longer than cluster CIDR %s", maskSize, maxSubnetBits, cluster)
	}
	n := 1 << diff
	return &CIDRSet{cluster: cluster, maskSize: maskSize, count: n, used: make([]bool, n), owner: map[string]netip.Prefix{}}, nil
}

// subnet returns the i-th subnet.
func (s *CIDRSet) subnet(i int) netip.Prefix {
	base := new(big.Int).SetBytes(s.cluster.Addr().AsSlice())
	off := new(big.Int).Lsh(big.NewInt(int64(i)), uint(s.cluster.Addr().BitLen()-s.maskSize))
	b := base.Add(base, off).FillBytes(make([]byte, s.cluster.Addr().BitLen()/8))
	addr, _ := netip.AddrFromSlice(b)
	return netip.PrefixFrom(addr, s.maskSize)
}

// index returns the position of p in the set, or false if p is not one of
// its subnets.
func (s *CIDRSet) index(p netip.Prefix) (int, bool) {
	if p.Bits() != s.maskSize || !s.cluster.Contains(p.Addr()) || p.Masked() != p {
		return 0, false
	}
	a := new(big.Int).SetBytes(p.Addr().AsSlice())
	a.Sub(a, new(big.Int).SetBytes(s.cluster.Addr().AsSlice()))
	a.Rsh(a, uint(s.cluster.Addr().BitLen()-s.maskSize))
	return int(a.Int64()), true
}

// Occupy records that node holds p (read from its spec). It reports false
// when p is outside the set or held by another node.
func (s *CIDRSet) Occupy(node string, p netip.Prefix) bool {
	i, ok := s.index(p)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, has := s.owner[node]; has {
		return cur == p
	}
	if s.used[i] {
		return false
	}
	s.used[i] = true
	s.owner[node] = p
	return true
}

// Allocate returns the subnet node holds, or gives it the next free one.
func (s *CIDRSet) Allocate(node string) (netip.Prefix, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.owner[node]; ok {
		return p, nil
	}
	for k := range s.count {
		i := (s.next + k) % s.count
		if s.used[i] {
			continue
		}
		s.used[i] = true
		s.next = (i + 1) % s.count
		p := s.subnet(i)
		s.owner[node] = p
		return p, nil
	}
	return netip.Prefix{}, ErrCIDRRangeFull
}

// Release frees the subnet node holds, if any.
func (s *CIDRSet) Release(node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.owner[node]
	if !ok {
		return
	}
	delete(s.owner, node)
	if i, ok := s.index(p); ok {
		s.used[i] = false
	}
}

// Len returns how many subnets are held.
func (s *CIDRSet) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.owner)
}
