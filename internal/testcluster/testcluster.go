// Package testcluster runs a real skiff control plane in-process, on an
// embedded etcd in a temporary directory, for integration tests.
package testcluster

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/server"
)

// Cluster is a running control plane.
type Cluster struct {
	Server *server.Server
	Config *rest.Config
	Client kubernetes.Interface
	// DataDir is the server's data directory, for restarts.
	DataDir string
	cancel  context.CancelFunc
	done    chan error
}

// Option changes the server configuration before start.
type Option func(*server.Config)

// Start runs a control plane in t.TempDir() and stops it when the test
// ends. It runs the API server alone: tests start the controllers and the
// scheduler they need, or enable them with an Option.
func Start(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	cfg := server.Config{DataDir: t.TempDir(), DisableControllerManager: true, DisableScheduler: true}
	for _, o := range opts {
		o(&cfg)
	}
	return StartWith(t, cfg)
}

// StartWith runs a control plane with cfg; free ports are picked for
// whatever cfg leaves unset.
func StartWith(t testing.TB, cfg server.Config) *Cluster {
	t.Helper()
	ownPorts := cfg.EtcdClientURL == "" && cfg.Listener == nil
	for attempt := 1; ; attempt++ {
		c, err := start(t, cfg)
		if err == nil {
			return c
		}
		// A port found free can be taken by another process before etcd
		// binds it (tests of other packages run at the same time): pick
		// other ports and start again.
		if ownPorts && attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			t.Logf("server stopped before ready: %v; starting again on other ports", err)
			continue
		}
		t.Fatalf("server stopped before ready: %v", err)
	}
}

// start runs one control plane and waits until it is ready; it returns
// the error of a server that stopped first.
func start(t testing.TB, cfg server.Config) (*Cluster, error) {
	t.Helper()
	if cfg.EtcdClientURL == "" {
		cfg.EtcdClientURL = "http://" + FreeAddr(t)
		cfg.EtcdPeerURL = "http://" + FreeAddr(t)
	}
	if cfg.Listener == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listener = ln
		cfg.SecurePort = ln.Addr().(*net.TCPAddr).Port
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cluster{Server: srv, DataDir: cfg.DataDir, cancel: cancel, done: make(chan error, 1)}
	go func() { c.done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-c.done:
		cancel()
		cfg.Listener.Close()
		return nil, err
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server not ready within 60s")
	}
	t.Cleanup(func() { c.Stop(t) })
	c.Config = srv.AdminRESTConfig()
	c.Config.QPS, c.Config.Burst = 1000, 2000
	c.Client = kubernetes.NewForConfigOrDie(c.Config)
	return c, nil
}

// Stop stops the server and waits for it; calling it twice is fine.
func (c *Cluster) Stop(t testing.TB) {
	if c.cancel == nil {
		return
	}
	c.cancel()
	c.cancel = nil
	select {
	case err := <-c.done:
		if err != nil {
			t.Errorf("server run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("server did not stop within 30s")
	}
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// JSONConfig returns a copy of the client config that speaks JSON; the
// default speaks what client-go negotiates.
func (c *Cluster) JSONConfig() *rest.Config {
	cfg := rest.CopyConfig(c.Config)
	cfg.ContentType = "application/json"
	return cfg
}

// ProtobufConfig returns a copy that speaks protobuf, as Kubernetes'
// own components do.
func (c *Cluster) ProtobufConfig() *rest.Config {
	cfg := rest.CopyConfig(c.Config)
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	return cfg
}
