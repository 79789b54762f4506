package garbagecollector

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// monitor is the metadata informer of one resource.
type monitor struct {
	informer cache.SharedIndexInformer
	stop     context.CancelFunc
}

// resync brings the monitors in line with discovery: resources served
// since (custom resources) get an informer, resources no longer served
// lose theirs. It returns the HasSynced of the new informers.
func (c *Controller) resync(ctx context.Context) ([]cache.InformerSynced, error) {
	gvrs, mapper, complete, err := c.discover()
	if err != nil {
		return nil, err
	}
	want := map[schema.GroupVersionResource]bool{}
	for _, gvr := range gvrs {
		want[gvr] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mapper = mapper
	// A group that failed discovery keeps its monitors, as Kubernetes
	// does, rather than forgetting their objects.
	for gvr, m := range c.monitors {
		if !want[gvr] && complete {
			m.stop()
			delete(c.monitors, gvr)
		}
	}
	var synced []cache.InformerSynced
	for gvr := range want {
		if c.monitors[gvr] != nil {
			continue
		}
		m, err := c.startMonitor(ctx, gvr)
		if err != nil {
			return nil, err
		}
		c.monitors[gvr] = m
		synced = append(synced, m.informer.HasSynced)
	}
	return synced, nil
}

// startMonitor runs an informer over gvr until ctx ends or the monitor
// stops; Run waits for it.
func (c *Controller) startMonitor(ctx context.Context, gvr schema.GroupVersionResource) (*monitor, error) {
	inf := dynamicinformer.NewFilteredDynamicInformer(c.dynamic, gvr, "", 0, cache.Indexers{ownerIndex: ownerUIDs}, nil).Informer()
	if err := inf.SetTransform(toMeta); err != nil {
		return nil, err
	}
	if _, err := inf.AddEventHandler(c.handler(gvr)); err != nil {
		return nil, err
	}
	mctx, cancel := context.WithCancel(ctx)
	c.running.Go(func() { inf.RunWithContext(mctx) })
	return &monitor{informer: inf, stop: cancel}, nil
}

// informer returns the informer of gvr, nil when it is not watched.
func (c *Controller) informer(gvr schema.GroupVersionResource) cache.SharedIndexInformer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if m := c.monitors[gvr]; m != nil {
		return m.informer
	}
	return nil
}
