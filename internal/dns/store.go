package dns

import (
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"
)

// store indexes services and their endpoints by name and by IP so a query
// is a few map lookups. Views are immutable once published: writers build
// a new view and swap it in, readers use it without holding the lock.
type store struct {
	mu     sync.RWMutex
	views  map[string]map[string]*view // namespace → service name → view
	slices map[string]string           // "ns/slice" → service name it was filed under
	ptrs   map[netip.Addr]map[ptrTarget]struct{}
	serial uint32 // SOA serial: unix time of the last change
}

// view is everything known about one service name in one namespace.
type view struct {
	svc    *service          // nil while only EndpointSlices have been seen
	slices map[string]*slice // by EndpointSlice name
	eps    []epRecord        // published endpoint addresses, deduplicated
}

// epRecord is one published endpoint address with its DNS label: the
// endpoint hostname, or the dashed address when there is none.
type epRecord struct {
	label string
	addr  netip.Addr
	ports []port
}

// ptrTarget names the record an address points back to; label is empty
// for a ClusterIP.
type ptrTarget struct{ ns, svc, label string }

func newStore() *store {
	return &store{
		views:  map[string]map[string]*view{},
		slices: map[string]string{},
		ptrs:   map[netip.Addr]map[ptrTarget]struct{}{},
		serial: uint32(time.Now().Unix()),
	}
}

func (s *store) setService(ns, name string, svc *service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.update(ns, name, func(v *view) { v.svc = svc })
}

func (s *store) deleteService(ns, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.update(ns, name, func(v *view) { v.svc = nil })
}

// setSlice files a slice under its service in one step, so readers never
// see it missing while it moves or changes.
func (s *store) setSlice(ns, sliceName string, sl *slice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeSlice(ns, sliceName)
	if sl.service == "" {
		return
	}
	s.slices[ns+"/"+sliceName] = sl.service
	s.update(ns, sl.service, func(v *view) { v.slices[sliceName] = sl })
}

func (s *store) deleteSlice(ns, sliceName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeSlice(ns, sliceName)
}

// removeSlice needs s.mu held.
func (s *store) removeSlice(ns, sliceName string) {
	svc, ok := s.slices[ns+"/"+sliceName]
	if !ok {
		return
	}
	delete(s.slices, ns+"/"+sliceName)
	s.update(ns, svc, func(v *view) { delete(v.slices, sliceName) })
}

// update applies change to a copy of the service's view and publishes
// it. It needs s.mu held.
func (s *store) update(ns, name string, change func(*view)) {
	old := s.views[ns][name]
	next := &view{slices: map[string]*slice{}}
	if old != nil {
		next.svc = old.svc
		for k, sl := range old.slices {
			next.slices[k] = sl
		}
	}
	change(next)
	next.eps = publishedEndpoints(next)
	s.indexPTR(ns, name, old, false)
	if next.svc == nil && len(next.slices) == 0 {
		delete(s.views[ns], name)
		if len(s.views[ns]) == 0 {
			delete(s.views, ns)
		}
	} else {
		if s.views[ns] == nil {
			s.views[ns] = map[string]*view{}
		}
		s.views[ns][name] = next
		s.indexPTR(ns, name, next, true)
	}
	s.serial = max(s.serial+1, uint32(time.Now().Unix()))
}

// publishedEndpoints lists the addresses DNS serves for a headless
// service: ready ones, or all when the service publishes not-ready ones.
func publishedEndpoints(v *view) []epRecord {
	if v.svc == nil || !v.svc.headless {
		return nil
	}
	names := make([]string, 0, len(v.slices))
	for n := range v.slices {
		names = append(names, n)
	}
	sort.Strings(names)
	type key struct {
		label string
		addr  netip.Addr
	}
	seen := map[key]bool{}
	var out []epRecord
	for _, n := range names {
		sl := v.slices[n]
		for _, e := range sl.endpoints {
			if !e.ready && !v.svc.publishNotReady {
				continue
			}
			for _, a := range e.addrs {
				k := key{label: endpointLabel(e.hostname, a), addr: a}
				if !seen[k] {
					seen[k] = true
					out = append(out, epRecord{label: k.label, addr: a, ports: sl.ports})
				}
			}
		}
	}
	return out
}

// endpointLabel is the DNS label of an endpoint: its hostname, or its
// address with dashes as CoreDNS does (10-1-2-3, fd00--1).
func endpointLabel(hostname string, a netip.Addr) string {
	if hostname != "" {
		return hostname
	}
	return strings.NewReplacer(".", "-", ":", "-").Replace(a.String())
}

func (s *store) indexPTR(ns, name string, v *view, add bool) {
	if v == nil || v.svc == nil {
		return
	}
	for _, a := range v.svc.clusterIPs {
		s.setPTR(a, ptrTarget{ns: ns, svc: name}, add)
	}
	for _, e := range v.eps {
		s.setPTR(e.addr, ptrTarget{ns: ns, svc: name, label: e.label}, add)
	}
}

func (s *store) setPTR(a netip.Addr, t ptrTarget, add bool) {
	if add {
		if s.ptrs[a] == nil {
			s.ptrs[a] = map[ptrTarget]struct{}{}
		}
		s.ptrs[a][t] = struct{}{}
		return
	}
	delete(s.ptrs[a], t)
	if len(s.ptrs[a]) == 0 {
		delete(s.ptrs, a)
	}
}

// service returns the view of a service that exists, or nil.
func (s *store) service(ns, name string) *view {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v := s.views[ns][name]; v != nil && v.svc != nil {
		return v
	}
	return nil
}

// namespaceHasServices reports whether ns.svc.<domain> exists as a name.
func (s *store) namespaceHasServices(ns string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.views[ns] {
		if v.svc != nil {
			return true
		}
	}
	return false
}

// reverse returns the records an address points back to, sorted.
func (s *store) reverse(a netip.Addr) []ptrTarget {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]ptrTarget, 0, len(s.ptrs[a]))
	for t := range s.ptrs[a] {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].ns+"/"+out[i].svc+"/"+out[i].label < out[j].ns+"/"+out[j].svc+"/"+out[j].label
	})
	return out
}

func (s *store) soaSerial() uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.serial
}
