// Package bench measures skiff the way a user feels it: throughput and
// latency of the API, watch delivery, start-up time and footprint. It
// drives a real `skiff server` child process so that the server's memory
// and CPU are measured apart from the load generator's.
package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// serverProc is a `skiff server` child process on free loopback ports.
type serverProc struct {
	cmd        *exec.Cmd
	dataDir    string
	port       int
	etcdClient string
	etcdPeer   string
	log        *os.File
	// apiOnly starts the API server without the scheduler and the
	// controllers, so load figures are the API server's own.
	apiOnly bool
	// bin is the skiff executable to run; empty means this one.
	bin string
	// extraArgs are further `skiff server` flags.
	extraArgs []string
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func newServerProc(dataDir string) (*serverProc, error) {
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ec, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ep, err := freeAddr()
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(api[strings.LastIndex(api, ":")+1:])
	return &serverProc{dataDir: dataDir, port: port, etcdClient: ec, etcdPeer: ep}, nil
}

// start launches the server and returns how long it took to answer /readyz.
func (p *serverProc) start(ctx context.Context) (time.Duration, error) {
	self, err := p.bin, error(nil)
	if self == "" {
		if self, err = os.Executable(); err != nil {
			return 0, err
		}
	}
	p.cmd = exec.Command(self, "server", "--data-dir", p.dataDir, "--secure-port", strconv.Itoa(p.port),
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--etcd-listen-client-url", "http://"+p.etcdClient, "--etcd-listen-peer-url", "http://"+p.etcdPeer,
		"--log-level", "warn")
	if p.apiOnly {
		p.cmd.Args = append(p.cmd.Args, "--disable-scheduler", "--disable-controller-manager")
	}
	p.cmd.Args = append(p.cmd.Args, p.extraArgs...)
	if p.log, err = os.OpenFile(filepath.Join(p.dataDir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err != nil {
		return 0, err
	}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		return 0, err
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for time.Since(start) < 60*time.Second {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		resp, err := hc.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", p.port))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("server not ready within 60s; see %s", p.log.Name())
}

// stop ends the server gracefully and waits for it.
func (p *serverProc) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = p.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	p.log.Close()
	p.cmd = nil
}

func (p *serverProc) restConfig() (*rest.Config, error) {
	kc := filepath.Join(p.dataDir, "admin.kubeconfig")
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(kc); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = -1, 0
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	return cfg, nil
}

func (p *serverProc) client() (kubernetes.Interface, error) {
	cfg, err := p.restConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// usage is a process's resident memory and CPU time so far. AnonBytes
// is the private part of RSSBytes: the rest is the executable's and
// libraries' file pages, shared with every process that maps them and
// reclaimable by the kernel.
type usage struct {
	RSSBytes  int64
	AnonBytes int64
	CPU       time.Duration
}

func (p *serverProc) usage() (usage, error) { return pidUsage(p.cmd.Process.Pid) }

// pidUsage reads a process's usage from /proc.
func pidUsage(pid int) (usage, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return usage{}, err
	}
	var u usage
	for _, line := range strings.Split(string(status), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "RssAnon") {
			continue
		}
		kb, _ := strconv.ParseInt(strings.Fields(value)[0], 10, 64)
		if name == "VmRSS" {
			u.RSSBytes = kb * 1024
		} else {
			u.AnonBytes = kb * 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return usage{}, err
	}
	// Fields after the command name: utime and stime are the 12th and
	// 13th, in clock ticks (100 per second on Linux).
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	u.CPU = time.Duration(ut+st) * 10 * time.Millisecond
	return u, nil
}
