package proxy

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// The proxier keeps slim copies of Services and EndpointSlices, updated
// by informer handlers, and a set of Services changed since the last
// sync.

func (p *Proxier) serviceChanged(obj any) {
	s, ok := unwrap[*corev1.Service](obj)
	if !ok {
		return
	}
	key := types.NamespacedName{Namespace: s.Namespace, Name: s.Name}
	p.mu.Lock()
	if svc := toService(s); svc != nil {
		p.services[key] = svc
	} else {
		delete(p.services, key)
	}
	p.mu.Unlock()
	p.markDirty(key)
}

func (p *Proxier) serviceDeleted(obj any) {
	s, ok := unwrap[*corev1.Service](obj)
	if !ok {
		return
	}
	key := types.NamespacedName{Namespace: s.Namespace, Name: s.Name}
	p.mu.Lock()
	delete(p.services, key)
	p.mu.Unlock()
	p.markDirty(key)
}

func (p *Proxier) sliceChanged(obj any) { p.setSlice(obj, true) }
func (p *Proxier) sliceDeleted(obj any) { p.setSlice(obj, false) }

func (p *Proxier) setSlice(obj any, present bool) {
	s, ok := unwrap[*discoveryv1.EndpointSlice](obj)
	if !ok {
		return
	}
	svc := s.Labels[discoveryv1.LabelServiceName]
	if svc == "" {
		return
	}
	key := types.NamespacedName{Namespace: s.Namespace, Name: svc}
	p.mu.Lock()
	bySlice := p.slices[key]
	if present {
		if bySlice == nil {
			bySlice = map[string]*slice{}
			p.slices[key] = bySlice
		}
		bySlice[s.Name] = toSlice(s)
	} else {
		delete(bySlice, s.Name)
		if len(bySlice) == 0 {
			delete(p.slices, key)
		}
	}
	p.mu.Unlock()
	p.markDirty(key)
}

// markDirty queues Services for the next partial sync.
func (p *Proxier) markDirty(keys ...types.NamespacedName) {
	p.mu.Lock()
	for _, k := range keys {
		p.dirty[k] = true
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *Proxier) takeDirty() map[types.NamespacedName]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.dirty
	p.dirty = map[types.NamespacedName]bool{}
	return d
}

// snapshot builds the rules of the given Services, or of all when keys
// is nil (which also clears the dirty set). A Service that is gone has
// no entry.
func (p *Proxier) snapshot(keys map[types.NamespacedName]bool) map[types.NamespacedName]*serviceRules {
	p.mu.Lock()
	defer p.mu.Unlock()
	if keys == nil {
		keys = map[types.NamespacedName]bool{}
		for k := range p.services {
			keys[k] = true
		}
		p.dirty = map[types.NamespacedName]bool{}
	}
	out := map[types.NamespacedName]*serviceRules{}
	for k := range keys {
		if svc := p.services[k]; svc != nil {
			out[k] = p.builder.build(k, svc, p.slices[k])
		}
	}
	return out
}

// unwrap returns the object of an informer event, looking inside
// tombstones.
func unwrap[T any](obj any) (T, bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	v, ok := obj.(T)
	return v, ok
}
