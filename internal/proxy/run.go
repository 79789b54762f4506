package proxy

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// Run watches Services and EndpointSlices and keeps the table in step
// until ctx ends, then returns nil, leaving the rules in place so
// traffic keeps flowing across an agent restart. It writes the whole
// table once the caches are synced and every SyncPeriod (longer for a
// table whose full sync is slow, see resyncAfter); changes in
// between are batched for minSyncInterval and applied per Service.
// After a failed sync the next one, at the next change or tick, is full.
func (p *Proxier) Run(ctx context.Context) error {
	factory, synced, err := p.startInformers(ctx)
	if err != nil {
		return err
	}
	// Informers stop with ctx; this waits for them.
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil
	}
	full := p.sync(ctx, true)
	resync := time.NewTimer(p.resyncAfter())
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-resync.C:
			full = p.sync(ctx, true)
			resync.Reset(p.resyncAfter())
		case <-p.kick:
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(minSyncInterval):
			}
			full = p.sync(ctx, full)
		}
	}
}

// fullSyncShare bounds the time the safety-net full syncs may take: at
// 10,000 Services a full sync takes minutes in nft, and a fixed 30 s
// period would leave no time for the per-Service changes between them.
const fullSyncShare = 10

// resyncAfter is when the next periodic full sync is due: SyncPeriod, or
// longer so that full syncs take at most a tenth of the time.
func (p *Proxier) resyncAfter() time.Duration {
	return max(p.cfg.SyncPeriod, fullSyncShare*p.lastFull)
}

// sync runs a full or partial sync and tells whether the next one must
// be full because this one failed.
func (p *Proxier) sync(ctx context.Context, full bool) bool {
	start := time.Now()
	var err error
	if full {
		err = p.fullSync(ctx)
		p.lastFull = time.Since(start)
	} else {
		err = p.partialSync(ctx)
	}
	if p.cfg.SyncHook != nil {
		p.cfg.SyncHook(full, time.Since(start), err)
	}
	if err != nil && ctx.Err() == nil {
		p.log.Error("proxy sync", "full", full, "err", err)
		return true
	}
	return false
}

// startInformers starts the Service and EndpointSlice informers, which
// stop with ctx, and returns what tells that their handlers have seen
// the initial lists.
func (p *Proxier) startInformers(ctx context.Context) (informers.SharedInformerFactory, []cache.InformerSynced, error) {
	factory := informers.NewSharedInformerFactoryWithOptions(p.cfg.Client, 0, informers.WithTransform(slim))
	svcs, err := factory.Core().V1().Services().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    p.serviceChanged,
		UpdateFunc: func(_, obj any) { p.serviceChanged(obj) },
		DeleteFunc: p.serviceDeleted,
	})
	if err != nil {
		return nil, nil, err
	}
	slices, err := factory.Discovery().V1().EndpointSlices().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    p.sliceChanged,
		UpdateFunc: func(_, obj any) { p.sliceChanged(obj) },
		DeleteFunc: p.sliceDeleted,
	})
	if err != nil {
		return nil, nil, err
	}
	factory.Start(ctx.Done())
	return factory, []cache.InformerSynced{svcs.HasSynced, slices.HasSynced}, nil
}

// slim drops what the proxy never reads from cached objects.
func slim(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
		m.SetAnnotations(nil)
	}
	return obj, nil
}
