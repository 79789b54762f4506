package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/endpointslice"
	"github.com/skiff-sh/skiff/internal/controller/servicelb"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// The networking test's own addresses besides the node's (e2eNodeIP): a
// second "node" in a network namespace behind a veth, whose pod range
// holds one server. Every address is inside e2eClusterCIDR or the test
// service range, both guarded.
const (
	e2eRemoteVeth  = "skiffe2e-vh"
	e2eRemoteHost  = "10.244.252.1" // host side of the veth
	e2eRemoteNode  = "10.244.252.2" // the other node's InternalIP
	e2eRemoteCIDR  = "10.244.249.0/24"
	e2eRemotePodIP = "10.244.249.5"
	e2eClusterDNS  = "10.43.0.10"
	e2eHostPort    = 18080
)

// TestNetworking runs pods behind Services on a real node and checks
// every path a packet takes: host and pod to a ClusterIP through the
// nftables proxy, hairpin, NodePort, hostPort and LoadBalancer on the node
// address, cluster DNS from the host and from pods, a pod reaching a pod
// on another node through the host-gateway route without NAT, and the
// ingress router. All traffic stays on this machine: loopback, the e2e
// bridge, the test's own interfaces and the test's network namespace,
// behind a postrouting guard.
func TestNetworking(t *testing.T) {
	requireNode(t)
	for _, bin := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("e2e: %s not on PATH; run scripts/install-deps.sh", bin)
		}
	}
	installNetworkGuard(t)
	startRemoteHost(t)

	c := testcluster.Start(t)
	c.RunControllers(t, map[string]controllerctx.Constructor{"endpointslice": endpointslice.New, "service-lb-controller": servicelb.New}, nil)
	ingressAddr := testcluster.FreeAddr(t)
	n := startNodeWith(t, c, "e2e-node", func(cfg *agent.Config) {
		cfg.Network.DisableIngress = false
		cfg.Network.IngressHTTPAddr = ingressAddr
		cfg.Network.IngressHTTPSAddr = testcluster.FreeAddr(t)
	})
	ctx := context.Background()
	registerRemoteNode(t, c)

	ns := "e2e-net"
	createNamespace(t, c, ns)
	svcs := c.Client.CoreV1().Services(ns)
	web := mustService(t, svcs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	})
	lb := mustService(t, svcs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web-lb"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8081, TargetPort: intstr.FromString("http")}}},
	})
	mustService(t, svcs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "self"},
		// Its only pod's readiness depends on reaching itself through it.
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "hairpin"}, PublishNotReadyAddresses: true,
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	})
	mustService(t, svcs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "remote"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	})
	remoteSlice(t, c, ns)

	pods := c.Client.CoreV1().Pods(ns)
	for _, name := range []string{"web-a", "web-b"} {
		p := webPod(name, "web")
		p.Namespace = ns
		if name == "web-a" {
			p.Spec.Containers[0].Ports[0].HostPort = e2eHostPort
		}
		create(t, pods, p)
	}
	hairpin := webPod("hairpin", "hairpin")
	hairpin.Namespace = ns
	// Ready only when the pod reaches itself through its own Service.
	hairpin.Spec.Containers[0].ReadinessProbe = execProbe("timeout 2 wget -qO- http://self/ | grep -q hairpin")
	create(t, pods, hairpin)
	client := makePod("client", corev1.RestartPolicyNever, "sh", "-c", clientScript)
	client.Namespace = ns
	client = create(t, pods, client)

	ingressClass := "skiff"
	pathType := networkingv1.PathTypePrefix
	if _, err := c.Client.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: networkingv1.IngressSpec{IngressClassName: &ingressClass, Rules: []networkingv1.IngressRule{{
			Host: "web.example",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &pathType,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Name: "http"}}},
			}}}},
		}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"web-a", "web-b"} {
		waitPod(t, c.Client, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}, 60*time.Second, "Ready", podReady)
	}

	t.Run("host reaches a ClusterIP and both endpoints answer", func(t *testing.T) {
		getUntilAll(t, "http://"+net.JoinHostPort(web.Spec.ClusterIP, "80")+"/", "", webPods)
	})
	t.Run("NodePort on the node address", func(t *testing.T) {
		getUntilAll(t, "http://"+net.JoinHostPort(e2eNodeIP, strconv.Itoa(int(web.Spec.Ports[0].NodePort)))+"/", "", webPods)
	})
	t.Run("LoadBalancer gets the node address and answers on it", func(t *testing.T) {
		var ip string
		waitFor(t, 30*time.Second, "web-lb status.loadBalancer", func() (bool, error) {
			s, err := svcs.Get(ctx, lb.Name, metav1.GetOptions{})
			if err != nil || len(s.Status.LoadBalancer.Ingress) == 0 {
				return false, err
			}
			ip = s.Status.LoadBalancer.Ingress[0].IP
			return true, nil
		})
		if ip != e2eNodeIP {
			t.Fatalf("load balancer address %s, want the node's %s", ip, e2eNodeIP)
		}
		getUntilAll(t, "http://"+net.JoinHostPort(ip, "8081")+"/", "", webPods)
	})
	t.Run("hostPort on the node address reaches its pod", func(t *testing.T) {
		waitFor(t, 30*time.Second, "web-a through its hostPort", func() (bool, error) {
			resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + net.JoinHostPort(e2eNodeIP, strconv.Itoa(e2eHostPort)) + "/")
			if err != nil {
				return false, nil
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return strings.TrimSpace(string(b)) == "web-a", nil
		})
	})
	t.Run("cluster DNS answers from the host", func(t *testing.T) {
		waitFor(t, 30*time.Second, "A record of web", func() (bool, error) {
			m := new(dns.Msg)
			m.SetQuestion("web."+ns+".svc.cluster.local.", dns.TypeA)
			r, _, err := new(dns.Client).Exchange(m, net.JoinHostPort(e2eClusterDNS, "53"))
			if err != nil || len(r.Answer) != 1 {
				return false, nil
			}
			a, ok := r.Answer[0].(*dns.A)
			return ok && a.A.String() == web.Spec.ClusterIP, nil
		})
	})
	t.Run("hairpin: a pod reaches itself through its Service", func(t *testing.T) {
		waitPod(t, c.Client, hairpin, 60*time.Second, "Ready (its probe goes through its own Service)", podReady)
	})
	t.Run("pod uses DNS, a ClusterIP, and reaches another node's pod without NAT", func(t *testing.T) {
		waitPod(t, c.Client, client, 90*time.Second, "Succeeded", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		})
		got, err := pods.Get(ctx, client.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := n.podLog(t, got)
		t.Logf("client output:\n%s", out)
		if got.Status.Phase != corev1.PodSucceeded {
			t.Fatalf("client pod %s", got.Status.Phase)
		}
		if st := got.Status.ContainerStatuses[0].State.Terminated; st == nil || st.Message != "checks done\n" {
			t.Errorf("termination message: %+v, want the file the container wrote", st)
		}
		for _, want := range []string{"short: web-", "fqdn: web-", "remote-by-ip: " + got.Status.PodIP, "remote-by-service: " + got.Status.PodIP} {
			if !strings.Contains(out, want) {
				t.Errorf("client output lacks %q", want)
			}
		}
	})
	t.Run("ingress routes by host to the endpoints and reports the node address", func(t *testing.T) {
		getUntilAll(t, "http://"+ingressAddr+"/", "web.example", webPods)
		req, _ := http.NewRequest("GET", "http://"+ingressAddr+"/", nil)
		req.Host = "other.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown host: status %d, want 404", resp.StatusCode)
		}
		waitFor(t, 30*time.Second, "ingress status", func() (bool, error) {
			ing, err := c.Client.NetworkingV1().Ingresses(ns).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			lb := ing.Status.LoadBalancer.Ingress
			return len(lb) == 1 && lb[0].IP == e2eNodeIP, nil
		})
	})
	t.Run("the other node's pod range is routed via its address", func(t *testing.T) {
		out, err := exec.Command("ip", "-4", "route", "show", e2eRemoteCIDR).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "via "+e2eRemoteNode) {
			t.Fatalf("route to %s: %s %v", e2eRemoteCIDR, out, err)
		}
	})
}

// webPods are the pods behind the web Services.
var webPods = []string{"web-a", "web-b"}

// clientScript checks, from inside a pod, the short and full service
// names, a pod on the other node by address and through a Service; the
// other node's server answers with the caller's address, which must be
// the pod's own (no NAT between pods).
const clientScript = `
try() { for i in $(seq 1 40); do out=$(timeout 3 wget -qO- "$2" 2>/dev/null) && { echo "$1: $out"; return 0; }; sleep 0.5; done; echo "$1: FAILED"; return 1; }
ok=0
try short http://web/ || ok=1
try fqdn http://web.e2e-net.svc.cluster.local/ || ok=1
try remote-by-ip http://` + e2eRemotePodIP + `:8080/cgi-bin/ip || ok=1
try remote-by-service http://remote/cgi-bin/ip || ok=1
echo "checks done" > /dev/termination-log
exit $ok
`

// webPod serves its own name over HTTP on port 8080 ("http").
func webPod(name, app string) *corev1.Pod {
	p := makePod(name, corev1.RestartPolicyAlways, "sh", "-c",
		"mkdir -p /www && echo "+name+" > /www/index.html && trap exit TERM; httpd -f -p 8080 -h /www & wait")
	p.Labels = map[string]string{"app": app}
	p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1}
	return p
}

// podLog reads the pod's container logs from the node's log files.
func (n *node) podLog(t *testing.T, p *corev1.Pod) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(n.dataDir, "pods", fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID), "*", "*.log"))
	var out strings.Builder
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			// CRI log format: time stream tag message.
			if f := strings.SplitN(line, " ", 4); len(f) == 4 {
				out.WriteString(f[3] + "\n")
			}
		}
	}
	return out.String()
}

type servicesClient interface {
	Create(context.Context, *corev1.Service, metav1.CreateOptions) (*corev1.Service, error)
}

func mustService(t *testing.T, svcs servicesClient, s *corev1.Service) *corev1.Service {
	t.Helper()
	out, err := svcs.Create(context.Background(), s, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// remoteSlice backs the selectorless "remote" Service with the server on
// the other node.
func remoteSlice(t *testing.T, c *testcluster.Cluster, ns string) {
	t.Helper()
	port, name, ready := int32(8080), "http", true
	_, err := c.Client.DiscoveryV1().EndpointSlices(ns).Create(context.Background(), &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "remote-1", Labels: map[string]string{discoveryv1.LabelServiceName: "remote"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{e2eRemotePodIP}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// registerRemoteNode creates the Node object of the namespace "node", so
// that the agent routes its pod range via its address.
func registerRemoteNode(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	ctx := context.Background()
	n, err := c.Client.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-remote"},
		Spec:       corev1.NodeSpec{PodCIDR: e2eRemoteCIDR, PodCIDRs: []string{e2eRemoteCIDR}, Unschedulable: true},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: e2eRemoteNode}}
	if _, err := c.Client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// installNetworkGuard drops, in the postrouting hook, traffic to the e2e
// cluster range and the service range on every interface but the test's
// own and loopback.
func installNetworkGuard(t *testing.T) {
	t.Helper()
	const table = "skiff_e2e_netguard"
	rules := fmt.Sprintf(`table inet %[1]s {
	chain postrouting {
		type filter hook postrouting priority 0; policy accept;
		oifname != { "%[2]s", "%[3]s", "%[4]s", "lo" } ip daddr { %[5]s, 10.43.0.0/16 } drop
	}
}
`, table, e2eBridge, e2eRemoteVeth, e2eServiceIface, e2eClusterCIDR)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install traffic guard: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "inet", table).Run() })
}

// addLocalAddress gives the machine a test-only address on an interface
// of its own: a bridge without ports (the kernel may lack the dummy
// driver), so nothing sent there leaves.
func addLocalAddress(t *testing.T, ifname, addr string) {
	t.Helper()
	_ = exec.Command("ip", "link", "del", ifname).Run()
	run(t, "ip", "link", "add", ifname, "type", "bridge")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", ifname).Run() })
	run(t, "ip", "addr", "add", addr+"/32", "dev", ifname)
	run(t, "ip", "link", "set", ifname, "up")
}

// startRemoteHost makes the other "node": a network namespace behind a
// veth, with a pod address in its pod range served by busybox httpd
// whose CGI answers with the caller's address.
func startRemoteHost(t *testing.T) {
	t.Helper()
	ns := fmt.Sprintf("skiffe2e-remote-%d", os.Getpid())
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	_ = exec.Command("ip", "link", "del", e2eRemoteVeth).Run()
	run(t, "ip", "link", "add", e2eRemoteVeth, "type", "veth", "peer", "name", "eth0", "netns", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", e2eRemoteVeth).Run() })
	run(t, "ip", "addr", "add", e2eRemoteHost+"/30", "dev", e2eRemoteVeth)
	run(t, "ip", "link", "set", e2eRemoteVeth, "up")
	in := func(args ...string) { run(t, append([]string{"ip", "netns", "exec", ns}, args...)...) }
	in("ip", "link", "set", "lo", "up")
	in("ip", "addr", "add", e2eRemoteNode+"/30", "dev", "eth0")
	in("ip", "addr", "add", e2eRemotePodIP+"/32", "dev", "lo")
	in("ip", "link", "set", "eth0", "up")
	in("ip", "route", "add", e2eClusterCIDR, "via", e2eRemoteHost)

	www := t.TempDir()
	if err := os.MkdirAll(filepath.Join(www, "cgi-bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	cgi := "#!/bin/busybox sh\necho 'Content-Type: text/plain'\necho\necho \"$REMOTE_ADDR\"\n"
	if err := os.WriteFile(filepath.Join(www, "cgi-bin", "ip"), []byte(cgi), 0o755); err != nil {
		t.Fatal(err)
	}
	httpd := exec.Command("ip", "netns", "exec", ns, "/bin/busybox", "httpd", "-f", "-p", e2eRemotePodIP+":8080", "-h", www)
	if err := httpd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = httpd.Process.Kill()
		_ = httpd.Wait()
	})
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
