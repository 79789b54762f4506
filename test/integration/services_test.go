package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

func service(name string, typ corev1.ServiceType, ip string, nodePort int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Type: typ, ClusterIP: ip, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Port: 80, NodePort: nodePort}},
		},
	}
}

func TestServiceAllocation(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	svcs := c.Client.CoreV1().Services("default")
	a, err := svcs.Create(ctx, service("a", corev1.ServiceTypeNodePort, "", 0), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	np := a.Spec.Ports[0].NodePort
	if a.Spec.ClusterIP == "" || a.Spec.ClusterIPs[0] != a.Spec.ClusterIP || np < 30000 || np > 32767 {
		t.Fatalf("allocation: clusterIP %q nodePort %d", a.Spec.ClusterIP, np)
	}
	if a.Spec.Ports[0].TargetPort.IntValue() != 80 || a.Spec.SessionAffinity != corev1.ServiceAffinityNone {
		t.Fatalf("service defaults: %+v", a.Spec)
	}
	// Taken addresses and ports are refused with 422.
	_, err = svcs.Create(ctx, service("b", corev1.ServiceTypeClusterIP, a.Spec.ClusterIP, 0), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("duplicate clusterIP: want 422, got %v", err)
	}
	_, err = svcs.Create(ctx, service("b", corev1.ServiceTypeNodePort, "", np), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("duplicate nodePort: want 422, got %v", err)
	}
	_, err = svcs.Create(ctx, service("b", corev1.ServiceTypeClusterIP, "192.168.0.1", 0), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("clusterIP outside the range: want 422, got %v", err)
	}
	// Deleting releases both.
	if err := svcs.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := svcs.Create(ctx, service("b", corev1.ServiceTypeNodePort, a.Spec.ClusterIP, np), metav1.CreateOptions{})
	if err != nil || b.Spec.ClusterIP != a.Spec.ClusterIP {
		t.Fatalf("released address and port not reusable: %v", err)
	}
	// Headless services get no address.
	h, err := svcs.Create(ctx, service("h", corev1.ServiceTypeClusterIP, corev1.ClusterIPNone, 0), metav1.CreateOptions{})
	if err != nil || h.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Fatalf("headless: %v %v", h, err)
	}
	// Turning a NodePort service into ClusterIP frees its port.
	b.Spec.Type = corev1.ServiceTypeClusterIP
	b.Spec.Ports[0].NodePort = 0
	if _, err := svcs.Update(ctx, b, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Create(ctx, service("c", corev1.ServiceTypeNodePort, "", np), metav1.CreateOptions{}); err != nil {
		t.Fatalf("port freed by type change not reusable: %v", err)
	}
}
