package servicelb

import (
	"errors"
	"net/netip"
	"sync"
)

// ErrPoolExhausted is returned when every address of the pool is taken.
var ErrPoolExhausted = errors.New("no free address in the pool")

// allocator hands out pool addresses to Services by key; it is safe for
// concurrent use.
type allocator struct {
	pool  Pool
	mu    sync.Mutex
	owner map[netip.Addr]string
	addr  map[string]netip.Addr
}

func newAllocator(p Pool) *allocator {
	return &allocator{pool: p, owner: map[netip.Addr]string{}, addr: map[string]netip.Addr{}}
}

// restore records that key holds a, as read from its status at start; it
// returns false, recording nothing, when a is outside the pool or taken.
func (al *allocator) restore(key string, a netip.Addr) bool {
	al.mu.Lock()
	defer al.mu.Unlock()
	if _, held := al.addr[key]; held || !al.pool.Contains(a) {
		return false
	}
	if _, taken := al.owner[a]; taken {
		return false
	}
	al.take(key, a)
	return true
}

// allocate returns key's address: want when it is a free pool address
// (moving key there), else the one key holds, else the lowest free one.
func (al *allocator) allocate(key string, want netip.Addr) (netip.Addr, error) {
	al.mu.Lock()
	defer al.mu.Unlock()
	held, holds := al.addr[key]
	if _, taken := al.owner[want]; want.IsValid() && !taken && al.pool.Contains(want) {
		if holds {
			delete(al.owner, held)
		}
		al.take(key, want)
		return want, nil
	}
	if holds {
		return held, nil
	}
	var free netip.Addr
	al.pool.each(func(a netip.Addr) bool {
		_, taken := al.owner[a]
		if !taken {
			free = a
		}
		return !taken
	})
	if !free.IsValid() {
		return free, ErrPoolExhausted
	}
	al.take(key, free)
	return free, nil
}

func (al *allocator) take(key string, a netip.Addr) {
	al.owner[a] = key
	al.addr[key] = a
}

// release frees key's address; it reports whether key held one.
func (al *allocator) release(key string) bool {
	al.mu.Lock()
	defer al.mu.Unlock()
	a, ok := al.addr[key]
	if ok {
		delete(al.addr, key)
		delete(al.owner, a)
	}
	return ok
}

// allocated returns how many addresses are held.
func (al *allocator) allocated() int {
	al.mu.Lock()
	defer al.mu.Unlock()
	return len(al.addr)
}
