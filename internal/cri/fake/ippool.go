package fake

import "net/netip"

// ipPool hands out the addresses of a pod CIDR, skipping the network
// and broadcast addresses, and takes them back when sandboxes stop.
type ipPool struct {
	cidr netip.Prefix
	used map[netip.Addr]bool
	next netip.Addr
}

func newIPPool(cidr netip.Prefix) ipPool {
	return ipPool{cidr: cidr, used: map[netip.Addr]bool{}, next: cidr.Addr().Next()}
}

// allocate returns a free address, or false when the range is full.
func (p *ipPool) allocate() (netip.Addr, bool) {
	size := 1<<(32-p.cidr.Bits()) - 2
	for range size {
		a := p.next
		p.next = a.Next()
		if !p.cidr.Contains(p.next.Next()) { // p.next is the broadcast address
			p.next = p.cidr.Addr().Next()
		}
		if !p.used[a] {
			p.used[a] = true
			return a, true
		}
	}
	return netip.Addr{}, false
}

// release frees a; addresses of another range are ignored.
func (p *ipPool) release(a netip.Addr) { delete(p.used, a) }
