package ingress

import (
	"net"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const testNS = "default"

type ingressBuilder struct{ ing *networkingv1.Ingress }

// makeIngress starts an Ingress of class skiff created at a fixed time.
func makeIngress(name string) *ingressBuilder {
	return &ingressBuilder{&networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: testNS,
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To(ClassName)},
	}}
}

func (b *ingressBuilder) class(name string) *ingressBuilder {
	b.ing.Spec.IngressClassName = ptr.To(name)
	return b
}

func (b *ingressBuilder) noClass() *ingressBuilder {
	b.ing.Spec.IngressClassName = nil
	return b
}

func (b *ingressBuilder) annotation(k, v string) *ingressBuilder {
	metav1.SetMetaDataAnnotation(&b.ing.ObjectMeta, k, v)
	return b
}

func (b *ingressBuilder) createdAt(minute int) *ingressBuilder {
	b.ing.CreationTimestamp = metav1.NewTime(b.ing.CreationTimestamp.Add(time.Duration(minute) * time.Minute))
	return b
}

func (b *ingressBuilder) rule(host string, paths ...networkingv1.HTTPIngressPath) *ingressBuilder {
	b.ing.Spec.Rules = append(b.ing.Spec.Rules, networkingv1.IngressRule{
		Host:             host,
		IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}},
	})
	return b
}

func (b *ingressBuilder) defaultBackend(svc string, port int32) *ingressBuilder {
	b.ing.Spec.DefaultBackend = serviceBackend(svc, port)
	return b
}

func (b *ingressBuilder) tls(secret string, hosts ...string) *ingressBuilder {
	b.ing.Spec.TLS = append(b.ing.Spec.TLS, networkingv1.IngressTLS{Hosts: hosts, SecretName: secret})
	return b
}

func (b *ingressBuilder) obj() *networkingv1.Ingress { return b.ing }

func serviceBackend(svc string, port int32) *networkingv1.IngressBackend {
	return &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: svc, Port: networkingv1.ServiceBackendPort{Number: port},
	}}
}

// path routes pathType p to port 80 of svc.
func path(pathType networkingv1.PathType, p, svc string) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: &pathType, Backend: *serviceBackend(svc, 80)}
}

const (
	exact  = networkingv1.PathTypeExact
	prefix = networkingv1.PathTypePrefix
)

// makeService returns a Service whose unnamed port 80 is followed by the
// given named ports.
func makeService(name string, named ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS},
		Spec:       corev1.ServiceSpec{Ports: append([]corev1.ServicePort{{Port: 80}}, named...)},
	}
}

type sliceBuilder struct{ s *discoveryv1.EndpointSlice }

func makeSlice(name, svc string) *sliceBuilder {
	return &sliceBuilder{&discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: testNS,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}}
}

func (b *sliceBuilder) port(name string, port int) *sliceBuilder {
	b.s.Ports = append(b.s.Ports, discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(int32(port))})
	return b
}

func (b *sliceBuilder) endpoint(ip string, ready bool) *sliceBuilder {
	b.s.Endpoints = append(b.s.Endpoints, discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)},
	})
	return b
}

// server points the slice at srv: its unnamed port and 127.0.0.1.
func (b *sliceBuilder) server(srv *httptest.Server) *sliceBuilder {
	ip, port := hostPort(srv)
	return b.port("", port).endpoint(ip, true)
}

func (b *sliceBuilder) obj() *discoveryv1.EndpointSlice { return b.s }

func hostPort(srv *httptest.Server) (string, int) {
	u, _ := url.Parse(srv.URL)
	host, p, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(p)
	return host, port
}

func makeNode(name, ip string, ready bool) *corev1.Node {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}},
		},
	}
}
