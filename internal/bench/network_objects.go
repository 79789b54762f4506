package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// The benchmark's objects: Services svc-<i> in netBenchNS, each with one
// EndpointSlice svc-<i>-bench.
const (
	netBenchNS      = "bench"
	netBenchPort    = "http"
	netBenchManager = "skiff-bench"
)

func netBenchService(i int) string { return fmt.Sprintf("svc-%d", i) }

// createNetworkObjects creates c.Services Services and their slices.
func createNetworkObjects(ctx context.Context, rc *rest.Config, c NetworkCase, clients int) error {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: netBenchNS}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", netBenchNS, err)
	}
	return parallel(ctx, c.Services, clients, func(i int) error {
		if _, err := cs.CoreV1().Services(netBenchNS).Create(ctx, benchService(i), metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create service %s: %w", netBenchService(i), err)
		}
		eps := make([]netip.Addr, c.Endpoints)
		for j := range eps {
			eps[j] = endpointIP(i*c.Endpoints + j)
		}
		if _, err := cs.DiscoveryV1().EndpointSlices(netBenchNS).Create(ctx, benchSlice(i, eps), metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create endpointslice of %s: %w", netBenchService(i), err)
		}
		return nil
	})
}

func benchService(i int) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: netBenchService(i), Namespace: netBenchNS},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: netBenchPort, Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080),
		}}},
	}
}

func benchSlice(i int, ips []netip.Addr) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: netBenchService(i) + "-bench", Namespace: netBenchNS, Labels: map[string]string{
			discoveryv1.LabelServiceName: netBenchService(i),
			discoveryv1.LabelManagedBy:   netBenchManager,
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(netBenchPort), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](8080)}},
	}
	setEndpoints(s, ips)
	return s
}

func setEndpoints(s *discoveryv1.EndpointSlice, ips []netip.Addr) {
	s.Endpoints = nil
	for _, ip := range ips {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{ip.String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		})
	}
}

// endpointIP is the n-th pod address counted from 10.42.0.1.
func endpointIP(n int) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], binary.BigEndian.Uint32([]byte{10, 42, 0, 1})+uint32(n))
	return netip.AddrFrom4(b)
}
