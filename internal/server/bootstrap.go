package server

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// systemNamespaces exist in every cluster.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// masterLeasePrefix holds one key per live API server, kept alive by an
// etcd lease, as Kubernetes' lease endpoint reconciler does.
const masterLeasePrefix = "/registry/masterleases/"

// ensureSystemObjects creates the system namespaces and the kubernetes
// Service, so that they exist before the server reports ready.
func (s *Server) ensureSystemObjects(ctx context.Context, stores []*generic.Store) error {
	nsStore := storeFor(stores, corev1.SchemeGroupVersion.WithResource("namespaces"))
	for _, name := range systemNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := ensure(ctx, nsStore, "", ns); err != nil {
			return err
		}
	}
	svcStore := storeFor(stores, corev1.SchemeGroupVersion.WithResource("services"))
	return ensure(ctx, svcStore, metav1.NamespaceDefault, s.kubernetesService())
}

func ensure(ctx context.Context, st *generic.Store, ns string, obj runtime.Object) error {
	_, err := st.Create(ctx, ns, obj, false)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (s *Server) kubernetesService() *corev1.Service {
	first := netip.MustParsePrefix(s.cfg.ServiceCIDR).Masked().Addr().Next().String()
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: first, Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(int32(s.cfg.SecurePort))}},
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

// firstHostIPv4 is the default advertise address: the first non-loopback,
// non-link-local IPv4 address, else 127.0.0.1.
func firstHostIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				return ipn.IP.String()
			}
		}
	}
	return "127.0.0.1"
}
