package proxy

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// svcBuilder builds test Services: makeService("web", "10.43.0.10").port("http", "TCP", 80, 0).obj().
type svcBuilder struct{ svc *corev1.Service }

func makeService(name, clusterIP string) *svcBuilder {
	return &svcBuilder{&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: clusterIP},
	}}
}

func (b *svcBuilder) port(name string, proto corev1.Protocol, port, nodePort int32) *svcBuilder {
	if nodePort > 0 {
		b.svc.Spec.Type = corev1.ServiceTypeNodePort
	}
	b.svc.Spec.Ports = append(b.svc.Spec.Ports, corev1.ServicePort{
		Name: name, Protocol: proto, Port: port, NodePort: nodePort, TargetPort: intstr.FromString(name),
	})
	return b
}

func (b *svcBuilder) lbIngress(ip string) *svcBuilder {
	b.svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	b.svc.Status.LoadBalancer.Ingress = append(b.svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	return b
}

func (b *svcBuilder) externalIP(ip string) *svcBuilder {
	b.svc.Spec.ExternalIPs = append(b.svc.Spec.ExternalIPs, ip)
	return b
}

func (b *svcBuilder) affinity(seconds int32) *svcBuilder {
	b.svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	b.svc.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: &seconds}}
	return b
}

func (b *svcBuilder) externalLocal() *svcBuilder {
	b.svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	return b
}

func (b *svcBuilder) internalLocal() *svcBuilder {
	b.svc.Spec.InternalTrafficPolicy = new(corev1.ServiceInternalTrafficPolicyLocal)
	return b
}

func (b *svcBuilder) obj() *corev1.Service { return b.svc }

// sliceBuilder builds test EndpointSlices of a Service:
// makeSlice("web", "web-1").port("http", "TCP", 8080).ready("10.42.1.2", "n1").obj().
type sliceBuilder struct{ s *discoveryv1.EndpointSlice }

func makeSlice(svc, name string) *sliceBuilder {
	return &sliceBuilder{&discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}}
}

func (b *sliceBuilder) port(name string, proto corev1.Protocol, port int32) *sliceBuilder {
	b.s.Ports = append(b.s.Ports, discoveryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &port})
	return b
}

func (b *sliceBuilder) ready(ip, node string) *sliceBuilder {
	return b.endpoint(ip, node, true, true, false)
}

func (b *sliceBuilder) endpoint(ip, node string, ready, serving, terminating bool) *sliceBuilder {
	b.s.Endpoints = append(b.s.Endpoints, discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		NodeName:   &node,
	})
	return b
}

func (b *sliceBuilder) obj() *discoveryv1.EndpointSlice { return b.s }
