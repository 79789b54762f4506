package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/agent/containerd"
	"github.com/skiff-sh/skiff/internal/hostclean"
	"github.com/skiff-sh/skiff/internal/images"
)

// The bench node's own names and ranges, unlike a real node's and the
// e2e tests', so a run never touches either. The node address lives on
// an interface the bench creates; ClusterIPs come from kbServiceCIDR.
const (
	kbNodeName     = "bench-kubelet"
	kbBridge       = "skiffbk0"
	kbNetworkName  = "skiff-bench"
	kbPodCIDR      = "10.244.240.0/24"
	kbClusterCIDR  = "10.244.240.0/21"
	kbServiceCIDR  = "10.245.0.0/16"
	kbServiceIface = "skiffbk-svc"
	kbNodeIface    = "skiffbk-node"
	kbNodeIP       = "10.244.247.1"
	kbNetTable     = "skiffbk-net"
	kbProxyTable   = "skiffbk-proxy"
	kbCgroupRoot   = "/skiff-bench/" + kbNodeName
	kbImage        = "skiff.local/busybox:bench"
)

// kbAgentConfig is the bench node: proxy and DNS on as users run them,
// ingress off (it would take ports 80 and 443), everything it adds to the
// host removed when it stops.
func kbAgentConfig(dataDir string) agent.Config {
	return agent.Config{
		NodeName: kbNodeName, NodeIP: kbNodeIP, DataDir: dataDir, PodCIDR: kbPodCIDR,
		NetworkName: kbNetworkName, Bridge: kbBridge, LogRoot: filepath.Join(dataDir, "pods"),
		CgroupRoot: kbCgroupRoot, KubeletServerAddr: kbNodeIP + ":0",
		Network: agent.Network{
			ClusterCIDR: kbClusterCIDR, ServiceCIDR: kbServiceCIDR, ServiceInterface: kbServiceIface,
			NetTable: kbNetTable, ProxyTable: kbProxyTable, DisableIngress: true,
		},
		Cleanup: true,
	}
}

// RunKubeletNode runs the bench's node agent until ctx ends: the child
// process `skiff bench kubelet` starts, so that its memory and CPU are
// its own.
func RunKubeletNode(ctx context.Context, kubeconfig, dataDir string) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cfg := kbAgentConfig(dataDir)
	cfg.REST = rc
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := agent.New(cfg)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// containerdSocket is the CRI socket of the agent with dataDir.
func containerdSocket(dataDir string) string {
	return containerd.Config{Dir: filepath.Join(dataDir, "containerd")}.Socket()
}

// nodeProc is the agent child process and what it leaves on the host.
type nodeProc struct {
	cmd     *exec.Cmd
	dataDir string
	log     *os.File
	done    chan error
}

// startNode prepares the node's address and images, then starts
// `skiff bench kubelet node` against the server's admin kubeconfig.
func startNode(bin, kubeconfig, dataDir string) (*nodeProc, error) {
	if err := addNodeAddress(); err != nil {
		return nil, err
	}
	applets := []string{"sh", "sleep"}
	if err := images.WriteBusyboxTar(filepath.Join(dataDir, "images", "busybox.tar"), kbImage, applets...); err != nil {
		return nil, err
	}
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	n := &nodeProc{dataDir: dataDir, done: make(chan error, 1)}
	var err error
	if n.log, err = os.Create(filepath.Join(dataDir, "agent.log")); err != nil {
		return nil, err
	}
	n.cmd = exec.Command(bin, "bench", "kubelet", "node", kubeconfig, dataDir)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { n.done <- n.cmd.Wait() }()
	return n, nil
}

// addNodeAddress puts the node's InternalIP on a bridge without ports
// (the kernel may lack the dummy driver), so nothing sent there leaves.
func addNodeAddress() error {
	_ = exec.Command("ip", "link", "del", kbNodeIface).Run()
	for _, args := range [][]string{
		{"link", "add", kbNodeIface, "type", "bridge"},
		{"addr", "add", kbNodeIP + "/32", "dev", kbNodeIface},
		{"link", "set", kbNodeIface, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %w: %s", args, err, out)
		}
	}
	return nil
}

// stop ends the agent (SIGTERM, then SIGKILL to its group after 30 s)
// and removes what its containers left: shims whose sandbox is gone
// (containerd sometimes leaves one running), mounts, cgroups, bridges.
func (n *nodeProc) stop() {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
	}
	n.log.Close()
	for pid := range shims(containerdSocket(n.dataDir)) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = hostclean.UnmountUnder(n.dataDir)
	hostclean.RemoveCgroupTree(kbCgroupRoot)
	for _, link := range []string{kbBridge, kbNodeIface} {
		_ = exec.Command("ip", "link", "del", link).Run()
	}
}

// exited reports the agent's end, if it has ended.
func (n *nodeProc) exited() error {
	select {
	case err := <-n.done:
		n.done <- err
		return fmt.Errorf("agent exited: %v; see %s", err, n.log.Name())
	default:
		return nil
	}
}
