package ingress

import (
	"log/slog"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// TestRotationSurvivesRebuild checks that a table rebuild (as every
// EndpointSlice update causes) continues the round-robin rotation instead of
// restarting at the first endpoint.
func TestRotationSurvivesRebuild(t *testing.T) {
	services := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	slices := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	services.Add(makeService("rr"))
	slices.Add(makeSlice("rr-1", "rr").port("", 80).endpoint("10.0.0.1", true).endpoint("10.0.0.2", true).obj())
	bd := &builder{
		resolver: resolver{services: corelisters.NewServiceLister(services), slices: discoverylisters.NewEndpointSliceLister(slices)},
		certs:    &certCache{},
		log:      slog.New(slog.DiscardHandler),
	}
	ings := []*networkingv1.Ingress{makeIngress("web").rule("", path(prefix, "/", "rr")).obj()}

	var got []string
	for range 2 {
		b := bd.build(ings).lookup("x", "/")
		got = append(got, b.order()[0])
	}
	if got[0] == got[1] {
		t.Errorf("first endpoint after a rebuild repeated %s, want the rotation to continue", got[0])
	}
}
