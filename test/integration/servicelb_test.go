package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/servicelb"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// runServiceLB runs the service-lb-controller with pool (none: node
// addresses).
func runServiceLB(t *testing.T, c *testcluster.Cluster, pool ...string) {
	opts := controllerctx.Defaults()
	opts.LoadBalancerIPPool = pool
	c.RunControllers(t, map[string]controllerctx.Constructor{"service-lb-controller": servicelb.New}, &opts)
}

// createLBService creates a LoadBalancer Service in default; mutate may
// change it first.
func createLBService(t *testing.T, c *testcluster.Cluster, name string, mutate func(*corev1.Service)) {
	t.Helper()
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Port: 80}},
		},
	}
	if mutate != nil {
		mutate(s)
	}
	if _, err := c.Client.CoreV1().Services("default").Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// lbState is what the controller wrote on a Service.
type lbState struct {
	ips       []string
	finalizer bool
	exists    bool
}

func getLBState(t *testing.T, c *testcluster.Cluster, name string) lbState {
	t.Helper()
	s, err := c.Client.CoreV1().Services("default").Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return lbState{}
	}
	if err != nil {
		t.Fatal(err)
	}
	st := lbState{finalizer: slices.Contains(s.Finalizers, servicelb.Finalizer), exists: true}
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.IPMode == nil || *in.IPMode != corev1.LoadBalancerIPModeVIP {
			t.Errorf("service %s: ingress %s has ipMode %v, want VIP", name, in.IP, in.IPMode)
		}
		st.ips = append(st.ips, in.IP)
	}
	return st
}

// waitIngress waits until Service name has the finalizer and exactly ips.
func waitIngress(t *testing.T, c *testcluster.Cluster, name string, ips ...string) {
	t.Helper()
	waitFor(t, func() bool {
		st := getLBState(t, c, name)
		return st.finalizer && slices.Equal(st.ips, ips)
	}, fmt.Sprintf("service %s with ingress %v", name, ips))
}

// lbEvents returns the messages of events with reason about Service name.
func lbEvents(t *testing.T, c *testcluster.Cluster, name, reason string) []string {
	t.Helper()
	l, err := c.Client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{
		FieldSelector: "involvedObject.name=" + name + ",reason=" + reason,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range l.Items {
		out = append(out, e.Message)
	}
	return out
}

func TestServiceLBPool(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	svcs := c.Client.CoreV1().Services("default")
	runServiceLB(t, c, "192.0.2.0/30")

	createLBService(t, c, "wants-two", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "192.0.2.2" })
	waitIngress(t, c, "wants-two", "192.0.2.2")
	createLBService(t, c, "any", nil)
	waitIngress(t, c, "any", "192.0.2.1")
	if len(lbEvents(t, c, "any", servicelb.ReasonEnsured)) == 0 {
		t.Error("no EnsuredLoadBalancer event")
	}

	// The pool has two addresses: a third Service waits with a warning.
	createLBService(t, c, "waiting", nil)
	want := "Error syncing load balancer: failed to ensure load balancer: no free address in the pool"
	waitFor(t, func() bool { return slices.Contains(lbEvents(t, c, "waiting", servicelb.ReasonSyncFailed), want) }, "SyncLoadBalancerFailed event")
	if st := getLBState(t, c, "waiting"); !st.finalizer || len(st.ips) != 0 {
		t.Errorf("service waiting for an address: %+v, want finalizer and no ingress", st)
	}

	// Deleting a Service frees its address for the waiting one.
	if err := svcs.Delete(ctx, "any", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !getLBState(t, c, "any").exists }, "deleted service gone once its finalizer is removed")
	waitIngress(t, c, "waiting", "192.0.2.1")
	if len(lbEvents(t, c, "any", servicelb.ReasonDeleted)) == 0 {
		t.Error("no DeletedLoadBalancer event")
	}

	// A Service that stops being a LoadBalancer loses status and finalizer.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := svcs.Get(ctx, "waiting", metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Spec.Type = corev1.ServiceTypeClusterIP
		s.Spec.AllocateLoadBalancerNodePorts = nil
		for i := range s.Spec.Ports {
			s.Spec.Ports[i].NodePort = 0
		}
		_, err = svcs.Update(ctx, s, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		st := getLBState(t, c, "waiting")
		return st.exists && !st.finalizer && len(st.ips) == 0
	}, "ClusterIP service without finalizer and ingress")

	// Another class's Service is left alone; its address stays free for
	// ours.
	other := "example.com/other"
	createLBService(t, c, "other-class", func(s *corev1.Service) { s.Spec.LoadBalancerClass = &other })
	createLBService(t, c, "last", nil)
	waitIngress(t, c, "last", "192.0.2.1")
	if st := getLBState(t, c, "other-class"); st.finalizer || len(st.ips) != 0 {
		t.Errorf("service of class %s was touched: %+v", other, st)
	}
}

func TestServiceLBPoolRebuiltFromStatus(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	svcs := c.Client.CoreV1().Services("default")
	// A Service holding 192.0.2.2 from a previous run of the controller:
	// without the rebuild it would be given the lowest free address.
	createLBService(t, c, "old", nil)
	s, err := svcs.Get(ctx, "old", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.2"}}
	if _, err := svcs.UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	createLBService(t, c, "new", nil)
	runServiceLB(t, c, "192.0.2.1-192.0.2.2")
	waitIngress(t, c, "new", "192.0.2.1")
	waitIngress(t, c, "old", "192.0.2.2")
}

// setNode creates or updates node name with InternalIP ip, Ready as given.
func setNode(t *testing.T, c *testcluster.Cluster, name, ip string, ready, unschedulable bool) {
	t.Helper()
	ctx := context.Background()
	nodes := c.Client.CoreV1().Nodes()
	if _, err := nodes.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Unschedulable: unschedulable}}
		if _, err := nodes.Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status, LastHeartbeatTime: now, LastTransitionTime: now}}
		_, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestServiceLBNodeAddresses(t *testing.T) {
	c := testcluster.Start(t)
	setNode(t, c, "node-b", "198.51.100.20", true, false)
	setNode(t, c, "node-a", "198.51.100.3", true, false)
	setNode(t, c, "cordoned", "198.51.100.30", true, true)
	setNode(t, c, "sick", "198.51.100.40", false, false)
	runServiceLB(t, c)

	createLBService(t, c, "web", nil)
	waitIngress(t, c, "web", "198.51.100.3", "198.51.100.20")

	setNode(t, c, "node-c", "198.51.100.5", true, false)
	waitIngress(t, c, "web", "198.51.100.3", "198.51.100.5", "198.51.100.20")

	setNode(t, c, "node-a", "198.51.100.3", false, false)
	waitIngress(t, c, "web", "198.51.100.5", "198.51.100.20")

	if err := c.Client.CoreV1().Nodes().Delete(context.Background(), "node-b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIngress(t, c, "web", "198.51.100.5")
	if msgs := lbEvents(t, c, "web", servicelb.ReasonEnsuring); len(msgs) == 0 || !strings.Contains(msgs[0], "load balancer") {
		t.Errorf("EnsuringLoadBalancer events: %q", msgs)
	}
}
