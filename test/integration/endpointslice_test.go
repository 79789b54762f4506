package integration

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/endpoints"
	"github.com/skiff-sh/skiff/internal/controller/endpointslice"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func endpointPod(name string, port int32) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "ep"}},
		Spec: corev1.PodSpec{Hostname: name, Subdomain: "ep", Containers: []corev1.Container{{
			Name: "web", Image: "busybox:1.35",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port, Protocol: corev1.ProtocolTCP}}}}},
	}
}

// sliceSummary renders the service's slices as "ip:port ready serving host" lines, sorted.
func sliceSummary(t *testing.T, c *testcluster.Cluster, svc string) string {
	l, err := c.Client.DiscoveryV1().EndpointSlices("default").List(context.Background(),
		metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, s := range l.Items {
		if s.Labels[discoveryv1.LabelManagedBy] != endpointslice.ManagedBy || len(s.OwnerReferences) != 1 || s.OwnerReferences[0].Kind != "Service" {
			t.Errorf("slice %s: labels %v owners %v", s.Name, s.Labels, s.OwnerReferences)
		}
		for _, e := range s.Endpoints {
			host := ""
			if e.Hostname != nil {
				host = *e.Hostname
			}
			lines = append(lines, fmt.Sprintf("%s:%d ready=%v serving=%v host=%s node=%s", e.Addresses[0], *s.Ports[0].Port,
				*e.Conditions.Ready, *e.Conditions.Serving, host, *e.NodeName))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestEndpointSliceAndEndpoints(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"endpointslice": endpointslice.New, "endpoints": endpoints.New}, nil)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "ep"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "ep"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	}
	if _, err := c.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, port := range []int32{8080, 8080, 9090} {
		p, err := c.Client.CoreV1().Pods("default").Create(ctx, endpointPod(fmt.Sprintf("p%d", i), port), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := markRunning(ctx, c.Client, p, fmt.Sprintf("10.42.0.%d", i+1), i != 1); err != nil {
			t.Fatal(err)
		}
	}
	want := strings.Join([]string{
		"10.42.0.1:8080 ready=true serving=true host=p0 node=node-1",
		"10.42.0.2:8080 ready=false serving=false host=p1 node=node-1",
		"10.42.0.3:9090 ready=true serving=true host=p2 node=node-1",
	}, "\n")
	var got string
	defer func() {
		if t.Failed() {
			t.Logf("last slices seen:\n%s", got)
		}
	}()
	waitLong(t, 20*time.Second, func() bool { got = sliceSummary(t, c, "ep"); return got == want }, "slices:\n"+want)
	waitLong(t, 20*time.Second, func() bool {
		ep, err := c.Client.CoreV1().Endpoints("default").Get(ctx, "ep", metav1.GetOptions{})
		if err != nil || len(ep.Subsets) != 2 {
			return false
		}
		ready, notReady := 0, 0
		for _, ss := range ep.Subsets {
			ready += len(ss.Addresses)
			notReady += len(ss.NotReadyAddresses)
		}
		return ready == 2 && notReady == 1
	}, "endpoints with 2 ready and 1 not-ready address in 2 subsets")
	// Readiness flips show up; a deleted pod leaves.
	p1, err := c.Client.CoreV1().Pods("default").Get(ctx, "p1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := markRunning(ctx, c.Client, p1, "10.42.0.2", true); err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	if err := c.Client.CoreV1().Pods("default").Delete(ctx, "p2", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	want = "10.42.0.1:8080 ready=true serving=true host=p0 node=node-1\n10.42.0.2:8080 ready=true serving=true host=p1 node=node-1"
	waitLong(t, 20*time.Second, func() bool { got = sliceSummary(t, c, "ep"); return got == want }, "slices after changes:\n"+want)
	// Nothing changes, nothing is written.
	l, _ := c.Client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=ep"})
	time.Sleep(time.Second)
	l2, _ := c.Client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=ep"})
	if len(l.Items) != 1 || len(l2.Items) != 1 || l.Items[0].ResourceVersion != l2.Items[0].ResourceVersion {
		t.Errorf("slices rewritten without changes")
	}
	if _, ok := l.Items[0].Labels["service.kubernetes.io/headless"]; !ok {
		t.Error("headless label missing")
	}
	// default/kubernetes is left alone.
	if kl, _ := c.Client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelManagedBy + "=" + endpointslice.ManagedBy + "," + discoveryv1.LabelServiceName + "=kubernetes"}); len(kl.Items) != 0 {
		t.Error("controller wrote slices for default/kubernetes")
	}
}
