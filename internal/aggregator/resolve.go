package aggregator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// Reasons of an Available=False condition, Kubernetes' own.
const (
	reasonServiceNotFound   = "ServiceNotFound"
	reasonServicePortError  = "ServicePortError"
	reasonEndpointsNotFound = "EndpointsNotFound"
	reasonMissingEndpoints  = "MissingEndpoints"
	reasonFailedDiscovery   = "FailedDiscoveryCheck"
	reasonPassed            = "Passed"
)

// resolveError is why a Service has no endpoint to send requests to.
type resolveError struct{ reason, message string }

func (e *resolveError) Error() string { return e.message }

// resolve picks a ready endpoint (host:port) of the APIService's Service
// from its EndpointSlices, as kube-apiserver does with
// --enable-aggregator-routing; an ExternalName Service resolves to its name.
func (a *Aggregator) resolve(ctx context.Context, ref *apiregv1.ServiceReference) (string, error) {
	port := int32(443)
	if ref.Port != nil {
		port = *ref.Port
	}
	obj, err := a.cfg.Services.Get(ctx, ref.Namespace, ref.Name, "0")
	if apierrors.IsNotFound(err) {
		return "", &resolveError{reasonServiceNotFound, fmt.Sprintf("service/%s in %q is not present", ref.Name, ref.Namespace)}
	}
	if err != nil {
		return "", err
	}
	svc := obj.(*corev1.Service)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return net.JoinHostPort(svc.Spec.ExternalName, strconv.Itoa(int(port))), nil
	}
	var svcPort *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			svcPort = &svc.Spec.Ports[i]
		}
	}
	if svcPort == nil {
		return "", &resolveError{reasonServicePortError, fmt.Sprintf("service/%s in %q is not listening on port %d", ref.Name, ref.Namespace, port)}
	}
	slices, err := a.slicesOf(ctx, ref.Namespace, ref.Name)
	if err != nil {
		return "", err
	}
	if len(slices) == 0 {
		return "", &resolveError{reasonEndpointsNotFound, fmt.Sprintf("cannot find endpoints for service/%s in %q", ref.Name, ref.Namespace)}
	}
	addrs := readyAddresses(slices, svcPort.Name)
	if len(addrs) == 0 {
		return "", &resolveError{reasonMissingEndpoints, fmt.Sprintf("endpoints for service/%s in %q have no addresses with port name %q", ref.Name, ref.Namespace, svcPort.Name)}
	}
	return addrs[rand.IntN(len(addrs))], nil
}

func (a *Aggregator) slicesOf(ctx context.Context, ns, name string) ([]discoveryv1.EndpointSlice, error) {
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: name})
	obj, err := a.cfg.EndpointSlices.List(ctx, ns, generic.ListOptions{ResourceVersion: "0", Label: sel})
	if err != nil {
		return nil, err
	}
	return obj.(*discoveryv1.EndpointSliceList).Items, nil
}

// readyAddresses lists host:port of every ready endpoint on the port
// named portName.
func readyAddresses(slices []discoveryv1.EndpointSlice, portName string) []string {
	var out []string
	for _, s := range slices {
		for _, p := range s.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name != portName || p.Port == nil {
				continue
			}
			for _, ep := range s.Endpoints {
				if (ep.Conditions.Ready != nil && !*ep.Conditions.Ready) || len(ep.Addresses) == 0 {
					continue
				}
				out = append(out, net.JoinHostPort(ep.Addresses[0], strconv.Itoa(int(*p.Port))))
			}
		}
	}
	return out
}
