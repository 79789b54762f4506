package integration

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// skiffBinary builds cmd/skiff once per test run.
func skiffBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "skiff-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "skiff")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/skiff").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// serverProcess is `skiff server` running as a child process.
type serverProcess struct {
	cmd        *exec.Cmd
	port       int
	kubeconfig string
}

func startServerProcess(t *testing.T, dataDir string, port int, etcdClient, etcdPeer string) *serverProcess {
	t.Helper()
	kc := filepath.Join(dataDir, "admin.kubeconfig")
	cmd := exec.Command(skiffBinary(t), "server", "--data-dir", dataDir, "--secure-port", strconv.Itoa(port),
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--etcd-listen-client-url", "http://"+etcdClient, "--etcd-listen-peer-url", "http://"+etcdPeer, "--log-level", "warn")
	logf, err := os.Create(filepath.Join(dataDir, fmt.Sprintf("server-%d.log", time.Now().UnixNano())))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, port: port, kubeconfig: kc}
	t.Cleanup(func() { p.kill() })
	if err := p.waitReady(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *serverProcess) waitReady(timeout time.Duration) error {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", p.port))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if _, err := os.Stat(p.kubeconfig); err == nil {
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server on port %d not ready within %v", p.port, timeout)
}

func (p *serverProcess) kill() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		_, _ = p.cmd.Process.Wait()
	}
}

func (p *serverProcess) client(t *testing.T) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", p.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.Timeout = 5 * time.Second
	return kubernetes.NewForConfigOrDie(cfg)
}

func freePort(t *testing.T) int {
	addr := testcluster.FreeAddr(t)
	port, _ := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
	return port
}

// TestKillDuringCreatesLosesNothing kills the server with SIGKILL in the
// middle of 1,000 concurrent creates; every create it acknowledged must be
// there after a restart, and the CA must be the same.
func TestKillDuringCreatesLosesNothing(t *testing.T) {
	dir := t.TempDir()
	port, ec, ep := freePort(t), testcluster.FreeAddr(t), testcluster.FreeAddr(t)
	p := startServerProcess(t, dir, port, ec, ep)
	caBefore, err := os.ReadFile(filepath.Join(dir, "tls", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	cs := p.client(t)
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				name := fmt.Sprintf("cm-%04d", i)
				if _, err := cs.CoreV1().ConfigMaps("default").Create(context.Background(), configMap(name, nil), metav1.CreateOptions{}); err == nil {
					mu.Lock()
					acked[name] = true
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < 1000; i++ {
		if i == 400 {
			p.kill()
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if len(acked) < 300 {
		t.Fatalf("only %d creates acknowledged before the kill", len(acked))
	}
	p = startServerProcess(t, dir, port, ec, ep)
	list, err := p.client(t).CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, cm := range list.Items {
		stored[cm.Name] = true
	}
	for name := range acked {
		if !stored[name] {
			t.Errorf("acknowledged create of %s lost", name)
		}
	}
	caAfter, _ := os.ReadFile(filepath.Join(dir, "tls", "ca.crt"))
	if string(caAfter) != string(caBefore) {
		t.Error("CA changed across restart")
	}
	t.Logf("%d acknowledged, %d stored after kill -9 and restart", len(acked), len(stored))
}
