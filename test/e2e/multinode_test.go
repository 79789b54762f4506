package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/endpointslice"
	"github.com/skiff-sh/skiff/internal/controller/nodeipam"
	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/hostclean"
	"github.com/skiff-sh/skiff/internal/server"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// The multi-node test's own L2 segment and ranges: a host bridge holding
// the API server's address, and one network namespace per node plugged
// into it. Unlike TestNetworking's, so both may run on one machine.
const (
	mnBridge      = "skmn0"
	mnSegment     = "10.244.253.0/24"
	mnServerIP    = "10.244.253.1"
	mnClusterCIDR = "10.244.240.0/21"
	mnNamespace   = "e2e-mn"
	// mnPodCIDRA is node A's --pod-cidr; node IPAM picks node B's, from
	// the start of the cluster range.
	mnPodCIDRA = "10.244.243.0/24"
)

// mnNode is one node of the test: a network namespace, its address on
// the test bridge and an agent process running inside it.
type mnNode struct {
	*node
	netns, ip string
	// exited is closed when the agent process has ended, with err set.
	exited chan struct{}
	err    error
}

// mnCluster is what every agent process of the test shares.
type mnCluster struct {
	*testcluster.Cluster
	bin, pause, token string
}

// TestMultiNode joins two real agents, each in its own network namespace
// with its own containerd, to one API server, and checks that a pod on
// one node reaches a pod on the other by address, through a ClusterIP
// Service and by the Service's DNS name, without NAT between the pods.
func TestMultiNode(t *testing.T) {
	requireNode(t)
	for _, bin := range []string{"ip", "nft", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("e2e: %s not on PATH", bin)
		}
	}
	installMultiNodeGuard(t)
	addTestBridge(t)
	token := rand.Text()
	c := startMultiNodeServer(t, token)
	opts := controllerctx.Defaults()
	opts.ClusterCIDR = netip.MustParsePrefix(mnClusterCIDR)
	c.RunControllers(t, map[string]controllerctx.Constructor{"endpointslice": endpointslice.New, "nodeipam": nodeipam.New}, &opts)

	mc := &mnCluster{Cluster: c, bin: buildSkiff(t), pause: buildPause(t), token: token}
	start := time.Now()
	a := startAgentProcess(t, mc, "mn-a", "10.244.253.2", "--pod-cidr", mnPodCIDRA)
	b := startAgentProcess(t, mc, "mn-b", "10.244.253.3")
	cidrA, cidrB := waitNodeReady(t, mc, a), waitNodeReady(t, mc, b)
	t.Logf("both nodes Ready %s after their agents started: %s %s, %s %s", time.Since(start).Round(time.Millisecond), a.name, cidrA, b.name, cidrB)
	if cidrA != mnPodCIDRA {
		t.Errorf("node %s spec.podCIDR %s, want its --pod-cidr %s", a.name, cidrA, mnPodCIDRA)
	}
	if cidrA == cidrB {
		t.Fatalf("both nodes got pod range %s", cidrA)
	}

	t.Run("each node routes the other's pod range via its address", func(t *testing.T) {
		waitRoute(t, a, cidrB, b.ip)
		waitRoute(t, b, cidrA, a.ip)
	})

	ctx := context.Background()
	createNamespace(t, c, mnNamespace)
	svc := mustService(t, c.Client.CoreV1().Services(mnNamespace), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	})
	pods := c.Client.CoreV1().Pods(mnNamespace)
	web := create(t, pods, remoteAddrServer("web", b.name))
	waitPod(t, c.Client, web, 60*time.Second, "Ready", podReady)
	web, err := pods.Get(ctx, web.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !inPrefix(web.Status.PodIP, cidrB) {
		t.Fatalf("server pod IP %s outside node %s's range %s", web.Status.PodIP, b.name, cidrB)
	}
	waitServiceBackedBy(t, c, svc.Name, web.Status.PodIP, b.name)

	script := fmt.Sprintf(multiNodeClientScript, web.Status.PodIP, svc.Spec.ClusterIP, svc.Name+"."+mnNamespace+".svc.cluster.local")
	client := makePod("client", corev1.RestartPolicyNever, "sh", "-c", script)
	client.Namespace, client.Spec.NodeName = mnNamespace, a.name
	client = create(t, pods, client)
	clientStart := time.Now()
	waitPod(t, c.Client, client, 120*time.Second, "finished", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})
	client, err = pods.Get(ctx, client.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !inPrefix(client.Status.PodIP, cidrA) {
		t.Fatalf("client pod IP %s outside node %s's range %s", client.Status.PodIP, a.name, cidrA)
	}
	var msg string
	if st := client.Status.ContainerStatuses[0].State.Terminated; st != nil {
		msg = st.Message
	}
	t.Logf("client (%s) on %s finished %s after its creation; it reports:\n%s", client.Status.PodIP, a.name, time.Since(clientStart).Round(time.Millisecond), msg)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(msg), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			got[k] = v
		}
	}
	for _, path := range []string{"by-pod-ip", "by-cluster-ip", "by-dns-name"} {
		t.Run("pod on "+a.name+" reaches the pod on "+b.name+" "+path+" and keeps its source address", func(t *testing.T) {
			if got[path] != client.Status.PodIP {
				t.Errorf("server saw the client as %q, want its pod IP %s", got[path], client.Status.PodIP)
			}
		})
	}
	if client.Status.Phase != corev1.PodSucceeded {
		t.Errorf("client pod %s", client.Status.Phase)
	}
}

// multiNodeClientScript fetches the caller's address as the server sees
// it, by pod IP, ClusterIP and Service name (%s each, in that order), and
// writes one "<path>: <address>" line per path to its termination log.
const multiNodeClientScript = `
try() { for i in $(seq 1 60); do out=$(timeout 3 wget -qO- "$2" 2>/dev/null) && { echo "$1: $out" >> /dev/termination-log; return 0; }; sleep 0.5; done; echo "$1: FAILED" >> /dev/termination-log; return 1; }
ok=0
try by-pod-ip http://%s:8080/cgi-bin/ip || ok=1
try by-cluster-ip http://%s/cgi-bin/ip || ok=1
try by-dns-name http://%s/cgi-bin/ip || ok=1
cat /dev/termination-log
exit $ok
`

// remoteAddrServer is a pod on nodeName whose HTTP server on port 8080
// ("http") answers /cgi-bin/ip with the caller's address.
func remoteAddrServer(name, nodeName string) *corev1.Pod {
	const cgi = `#!/bin/sh
echo Content-Type: text/plain
echo
echo "$REMOTE_ADDR"
`
	p := makePod(name, corev1.RestartPolicyAlways, "sh", "-c",
		"mkdir -p /www/cgi-bin && printf '%s' \"$CGI\" > /www/cgi-bin/ip && busybox chmod 755 /www/cgi-bin/ip && trap exit TERM; httpd -f -p 0.0.0.0:8080 -h /www & wait")
	p.Namespace, p.Labels, p.Spec.NodeName = mnNamespace, map[string]string{"app": "web"}, nodeName
	ctr := &p.Spec.Containers[0]
	ctr.Env = []corev1.EnvVar{{Name: "CGI", Value: cgi}}
	ctr.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	ctr.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1}
	return p
}

// installMultiNodeGuard drops, in postrouting, traffic to the test's
// ranges on any interface but its bridge and loopback, and anything
// forwarded from its bridge to elsewhere, so that nothing the nodes send
// can leave the machine.
func installMultiNodeGuard(t *testing.T) {
	t.Helper()
	const table = "skiff_e2e_mnguard"
	rules := fmt.Sprintf(`table inet %[1]s {
	chain postrouting {
		type filter hook postrouting priority 0; policy accept;
		oifname != { "%[2]s", "lo" } ip daddr { %[3]s, %[4]s } drop
		iifname "%[2]s" oifname != "%[2]s" drop
	}
}
`, table, mnBridge, mnClusterCIDR, mnSegment)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install traffic guard: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "inet", table).Run() })
}

// addTestBridge makes the nodes' L2 segment, with the server's address.
func addTestBridge(t *testing.T) {
	t.Helper()
	_ = exec.Command("ip", "link", "del", mnBridge).Run()
	run(t, "ip", "link", "add", mnBridge, "type", "bridge")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", mnBridge).Run() })
	run(t, "ip", "addr", "add", mnServerIP+"/24", "dev", mnBridge)
	run(t, "ip", "link", "set", mnBridge, "up")
}

// addNodeNamespace makes a network namespace whose eth0 is plugged into
// the test bridge with address ip.
func addNodeNamespace(t *testing.T, name, ip string) string {
	t.Helper()
	ns := fmt.Sprintf("skmn-%s-%d", name, os.Getpid())
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	veth := "skmn-" + name
	_ = exec.Command("ip", "link", "del", veth).Run()
	run(t, "ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", veth).Run() })
	run(t, "ip", "link", "set", veth, "master", mnBridge, "up")
	in := func(args ...string) { run(t, append([]string{"ip", "-n", ns}, args...)...) }
	in("link", "set", "lo", "up")
	in("addr", "add", ip+"/24", "dev", "eth0")
	in("link", "set", "eth0", "up")
	return ns
}

// startMultiNodeServer runs the API server on the bridge address, where
// the namespaced agents reach it, with a token for them.
func startMultiNodeServer(t *testing.T, token string) *testcluster.Cluster {
	t.Helper()
	ln, err := net.Listen("tcp", mnServerIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+`,node-agent,node-agent,"system:masters"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return testcluster.StartWith(t, server.Config{
		DataDir: filepath.Join(dir, "server"), Listener: ln, SecurePort: ln.Addr().(*net.TCPAddr).Port,
		AdvertiseAddress: mnServerIP, TokenAuthFile: tokens,
		DisableControllerManager: true, DisableScheduler: true,
	})
}

// buildSkiff builds the skiff binary the agent processes run.
func buildSkiff(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "skiff")
	if b, err := exec.Command("go", "build", "-o", out, "github.com/skiff-sh/skiff/cmd/skiff").CombinedOutput(); err != nil {
		t.Fatalf("build skiff: %v\n%s", err, b)
	}
	return out
}

// startAgentProcess runs `skiff agent` for node name inside a new network
// namespace with address ip, and removes every trace of it when the test
// ends: its pods (through the API, then the runtime), the process, mounts
// and cgroups.
func startAgentProcess(t *testing.T, c *mnCluster, name, ip string, extraFlags ...string) *mnNode {
	t.Helper()
	ns := addNodeNamespace(t, name, ip)
	dataDir := t.TempDir()
	writeBusyboxImage(t, filepath.Join(dataDir, "images", "busybox.tar"))
	tokenFile := filepath.Join(dataDir, "token")
	if err := os.WriteFile(tokenFile, []byte(c.token), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dataDir, "agent.log"))
	if err != nil {
		t.Fatal(err)
	}
	cgroupRoot := fmt.Sprintf("/skiff-e2e/%s-%d", name, os.Getpid())
	args := append([]string{"--net=/var/run/netns/" + ns, c.bin, "agent",
		"--server", c.Config.Host, "--token-file", tokenFile, "--ca-file", filepath.Join(c.DataDir, "tls", "ca.crt"),
		"--node-name", name, "--node-ip", ip, "--data-dir", dataDir, "--cluster-cidr", mnClusterCIDR,
		"--pause-binary", c.pause, "--cgroup-root", cgroupRoot, "--log-root", filepath.Join(dataDir, "pods"),
		"--kubelet-server-address", ip + ":0", "--disable-ingress", "--cleanup",
		// as startNodeWith: the shared disk must not trigger image GC or eviction
		"--eviction-hard", "memory.available<100Mi", "--image-gc-high-threshold", "100", "--image-gc-low-threshold", "99"}, extraFlags...)
	cmd := exec.Command("nsenter", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &mnNode{node: &node{name: name, dataDir: dataDir}, netns: ns, ip: ip, exited: make(chan struct{})}
	go func() {
		n.err = cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		// The agent leaves containers running when it stops: remove the
		// pods first, through its kubelet and then its containerd.
		if rt, err := cri.Dial(context.Background(), filepath.Join(dataDir, "containerd", "containerd.sock")); err == nil {
			n.runtime = rt
			n.deleteAllPods(t, c.Cluster)
			n.removeAllPods(t)
			rt.Close()
		}
		n.stop(t, cmd)
		n.checkCleanedUp(t)
		logFile.Close()
		if err := hostclean.UnmountUnder(dataDir); err != nil {
			t.Logf("cleanup: %v", err)
		}
		hostclean.RemoveCgroupTree(cgroupRoot)
		if t.Failed() {
			dumpFile(t, logFile.Name())
			dumpFile(t, filepath.Join(dataDir, "containerd", "containerd.log"))
		}
	})
	return n
}

// stop sends the agent SIGTERM, then SIGKILL after 30 s.
func (n *mnNode) stop(t *testing.T, cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("agent %s (pid %d) did not stop within 30s; killing it", n.name, cmd.Process.Pid)
		_ = cmd.Process.Kill()
		<-n.exited
	}
}

// checkCleanedUp fails the test unless the agent exited cleanly and, as
// --cleanup asks, left none of its nftables tables in its namespace.
func (n *mnNode) checkCleanedUp(t *testing.T) {
	if n.err != nil {
		t.Errorf("agent %s: %v", n.name, n.err)
	}
	out, err := exec.Command("ip", "netns", "exec", n.netns, "nft", "list", "tables").CombinedOutput()
	if err != nil || strings.Contains(string(out), "skiff") {
		t.Errorf("agent %s left nftables tables behind: %s %v", n.name, out, err)
	}
}

// waitNodeReady waits for the node to be Ready and returns its pod range.
func waitNodeReady(t *testing.T, c *mnCluster, n *mnNode) string {
	t.Helper()
	var cidr string
	waitFor(t, 120*time.Second, "node "+n.name+" Ready with a pod range", func() (bool, error) {
		select {
		case <-n.exited:
			return false, fmt.Errorf("agent %s exited: %v", n.name, n.err)
		default:
		}
		nd, err := c.Client.CoreV1().Nodes().Get(context.Background(), n.name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		cidr = nd.Spec.PodCIDR
		for _, cond := range nd.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				return cond.Status == corev1.ConditionTrue && cidr != "", nil
			}
		}
		return false, nil
	})
	if !inPrefix(strings.Split(cidr, "/")[0], mnClusterCIDR) {
		t.Fatalf("node %s pod range %s outside the cluster range %s", n.name, cidr, mnClusterCIDR)
	}
	return cidr
}

// waitRoute waits for a route to dst via gw inside the node's namespace.
func waitRoute(t *testing.T, n *mnNode, dst, gw string) {
	t.Helper()
	waitFor(t, 30*time.Second, n.name+": route to "+dst+" via "+gw, func() (bool, error) {
		out, err := exec.Command("ip", "netns", "exec", n.netns, "ip", "-4", "route", "show", dst).CombinedOutput()
		return err == nil && strings.Contains(string(out), "via "+gw+" "), nil
	})
}

// waitServiceBackedBy waits until the Service's only endpoint is addr on
// nodeName.
func waitServiceBackedBy(t *testing.T, c *testcluster.Cluster, svc, addr, nodeName string) {
	t.Helper()
	waitFor(t, 30*time.Second, "Service "+svc+" backed by "+addr+" on "+nodeName, func() (bool, error) {
		slices, err := c.Client.DiscoveryV1().EndpointSlices(mnNamespace).List(context.Background(),
			metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
		if err != nil {
			return false, err
		}
		var eps []discoveryv1.Endpoint
		for _, s := range slices.Items {
			eps = append(eps, s.Endpoints...)
		}
		return len(eps) == 1 && len(eps[0].Addresses) == 1 && eps[0].Addresses[0] == addr &&
			eps[0].NodeName != nil && *eps[0].NodeName == nodeName, nil
	})
}

// inPrefix reports whether addr lies in the CIDR prefix.
func inPrefix(addr, prefix string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	p, err := netip.ParsePrefix(prefix)
	return err == nil && p.Contains(a)
}
