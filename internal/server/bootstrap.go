package server

import (
	"context"
	"net/netip"
	"sort"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/aggregator"
	"github.com/skiff-sh/skiff/internal/pki"
	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/registry/scheduling"
)

// systemNamespaces exist in every cluster.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// masterLeasePrefix holds one key per live API server, kept alive by an
// etcd lease, as Kubernetes' lease endpoint reconciler does.
const masterLeasePrefix = "/registry/masterleases/"

// ensureSystemObjects creates the system namespaces, the system priority
// classes and the kubernetes Service, so that they exist before the server
// reports ready.
func (s *Server) ensureSystemObjects(ctx context.Context, stores []*generic.Store, bundle *pki.Bundle) error {
	nsStore := storeFor(stores, corev1.SchemeGroupVersion.WithResource("namespaces"))
	for _, name := range systemNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := ensure(ctx, nsStore, "", ns); err != nil {
			return err
		}
	}
	pcStore := storeFor(stores, schedulingv1.SchemeGroupVersion.WithResource("priorityclasses"))
	for _, pc := range systemPriorityClasses() {
		if err := ensure(ctx, pcStore, "", pc); err != nil {
			return err
		}
	}
	svcStore := storeFor(stores, corev1.SchemeGroupVersion.WithResource("services"))
	if err := ensure(ctx, svcStore, metav1.NamespaceDefault, s.kubernetesService()); err != nil {
		return err
	}
	if err := ensure(ctx, svcStore, metav1.NamespaceSystem, s.kubeDNSService()); err != nil {
		return err
	}
	cmStore := storeFor(stores, corev1.SchemeGroupVersion.WithResource("configmaps"))
	return put(ctx, cmStore, aggregator.AuthenticationConfigMap(bundle.CACertPEM, bundle.FrontProxyCACertPEM))
}

// systemPriorityClasses are the classes Kubernetes' API server creates,
// with its descriptions, so `kubectl get priorityclasses` lists them.
func systemPriorityClasses() []*schedulingv1.PriorityClass {
	descriptions := map[string]string{
		"system-node-critical":    "Used for system critical pods that must not be moved from their current node.",
		"system-cluster-critical": "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
	}
	var out []*schedulingv1.PriorityClass
	for name, value := range scheduling.SystemClasses {
		out = append(out, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value, Description: descriptions[name]})
	}
	return out
}

func ensure(ctx context.Context, st *generic.Store, ns string, obj runtime.Object) error {
	_, err := st.Create(ctx, ns, obj, false)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (s *Server) kubernetesService() *corev1.Service {
	first := nthAddr(netip.MustParsePrefix(s.cfg.ServiceCIDR).Masked(), 1).String()
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: first, Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(int32(s.cfg.SecurePort))}},
		},
	}
}

// kubeDNSService is kube-system/kube-dns, for clients that look for the
// cluster DNS there. It has no selector and no endpoints: every node
// agent serves DNS on its ClusterIP itself and its proxy leaves that
// address alone.
func (s *Server) kubeDNSService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Labels: map[string]string{
			"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS",
		}},
		Spec: corev1.ServiceSpec{
			ClusterIP: s.cfg.ClusterDNS, Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
			},
		},
	}
}

// reconcileEndpoints announces this server under an etcd lease and
// rewrites the kubernetes Endpoints and EndpointSlice from all announced
// servers every interval, until ctx ends.
func (s *Server) reconcileEndpoints(ctx context.Context, client *clientv3.Client, stores []*generic.Store) error {
	ttl := int64(3 * s.cfg.EndpointReconcileInterval / time.Second)
	if ttl < 5 {
		ttl = 5
	}
	t := time.NewTicker(s.cfg.EndpointReconcileInterval)
	defer t.Stop()
	var lease clientv3.LeaseID
	for {
		if err := s.announce(ctx, client, ttl, &lease); err != nil {
			s.log.Warn("announce API server", "err", err)
		} else if err := s.writeEndpoints(ctx, client, stores); err != nil {
			s.log.Warn("reconcile kubernetes endpoints", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// announce renews this server's lease, or takes a new one and writes the
// key again when the old one expired.
func (s *Server) announce(ctx context.Context, client *clientv3.Client, ttl int64, lease *clientv3.LeaseID) error {
	if *lease != 0 {
		if _, err := client.KeepAliveOnce(ctx, *lease); err == nil {
			return nil
		}
	}
	l, err := client.Grant(ctx, ttl)
	if err != nil {
		return err
	}
	*lease = l.ID
	_, err = client.Put(ctx, masterLeasePrefix+s.advertise(), s.advertise(), clientv3.WithLease(l.ID))
	return err
}

func (s *Server) writeEndpoints(ctx context.Context, client *clientv3.Client, stores []*generic.Store) error {
	resp, err := client.Get(ctx, masterLeasePrefix, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	var ips []string
	for _, kv := range resp.Kvs {
		ips = append(ips, strings.TrimPrefix(string(kv.Key), masterLeasePrefix))
	}
	sort.Strings(ips)
	port := int32(s.cfg.SecurePort)
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault, Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}}}
	subset := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Name: "https", Port: port, Protocol: corev1.ProtocolTCP}}}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault, Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes", discoveryv1.LabelManagedBy: "skiff-apiserver"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("https"), Port: &port, Protocol: ptr(corev1.ProtocolTCP)}},
	}
	for _, ip := range ips {
		subset.Addresses = append(subset.Addresses, corev1.EndpointAddress{IP: ip})
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}})
	}
	ep.Subsets = []corev1.EndpointSubset{subset}
	if err := put(ctx, storeFor(stores, corev1.SchemeGroupVersion.WithResource("endpoints")), ep); err != nil {
		return err
	}
	return put(ctx, storeFor(stores, discoveryv1.SchemeGroupVersion.WithResource("endpointslices")), slice)
}

func mustMeta(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(err) // only called with API objects
	}
	return m
}

// put creates obj or replaces the spec-like content of the stored one.
func put(ctx context.Context, st *generic.Store, obj runtime.Object) error {
	m := mustMeta(obj)
	_, _, err := st.Update(ctx, m.GetNamespace(), m.GetName(), "", func(runtime.Object) (runtime.Object, error) {
		return obj.DeepCopyObject(), nil
	}, false)
	if apierrors.IsNotFound(err) {
		return ensure(ctx, st, m.GetNamespace(), obj)
	}
	return err
}

func ptr[T any](v T) *T { return &v }

// advertise returns the address published for this server.
func (s *Server) advertise() string { return s.cfg.AdvertiseAddress }
