package server

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/skiff-sh/skiff/internal/aggregator"
	"github.com/skiff-sh/skiff/internal/pki"
	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// newAggregator builds the aggregation layer over the stores; it learns
// the served group/versions once the API handler exists (SetLocal).
func (s *Server) newAggregator(stores []*generic.Store, bundle *pki.Bundle) *aggregator.Aggregator {
	return aggregator.New(aggregator.Config{
		APIServices:     storeFor(stores, apiregv1.SchemeGroupVersion.WithResource("apiservices")),
		Services:        storeFor(stores, corev1.SchemeGroupVersion.WithResource("services")),
		EndpointSlices:  storeFor(stores, discoveryv1.SchemeGroupVersion.WithResource("endpointslices")),
		ProxyClientCert: bundle.FrontProxyClientCert,
		ProbeInterval:   s.cfg.APIServiceProbeInterval,
		Log:             s.log.With("component", "aggregator"),
	})
}
