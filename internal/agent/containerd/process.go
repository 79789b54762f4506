package containerd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// stopTimeout is how long containerd gets to exit after SIGTERM before
// its process group is killed.
const stopTimeout = 10 * time.Second

// Process runs containerd as a child in its own process group. New starts
// nothing; Run writes the config, starts containerd, restarts it if it
// dies, and on ctx cancellation stops it (SIGTERM, then SIGKILL to the
// group) and returns nil once it has exited. Containers keep running in
// their shims across a restart, as with any containerd.
type Process struct {
	cfg   Config
	log   *slog.Logger
	ready chan struct{}
}

// New checks cfg and fills its defaults.
func New(cfg Config, log *slog.Logger) (*Process, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Process{cfg: cfg, log: log, ready: make(chan struct{})}, nil
}

// Socket is the CRI socket path.
func (p *Process) Socket() string { return p.cfg.Socket() }

// Ready is closed once the socket first accepts connections.
func (p *Process) Ready() <-chan struct{} { return p.ready }

// Run implements the contract in the type's comment.
func (p *Process) Run(ctx context.Context) error {
	if err := p.writeConfig(); err != nil {
		return err
	}
	delay := time.Second
	for {
		started := time.Now()
		err := p.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			delay = time.Second
		}
		p.log.Error("containerd exited; restarting", "err", err, "in", delay, "log", p.logPath())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}

func (p *Process) writeConfig() error {
	b, err := p.cfg.Render()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.cfg.Dir, 0o711); err != nil {
		return fmt.Errorf("containerd dir: %w", err)
	}
	return os.WriteFile(p.cfg.configPath(), b, 0o644)
}

func (p *Process) logPath() string { return filepath.Join(p.cfg.Dir, "containerd.log") }

// runOnce runs containerd until it exits or ctx ends.
func (p *Process) runOnce(ctx context.Context) error {
	logf, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("containerd log: %w", err)
	}
	defer logf.Close()
	_ = os.Remove(p.cfg.Socket()) // a stale socket would look ready
	cmd := exec.Command(p.cfg.Binary, "--config", p.cfg.configPath())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start containerd: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { p.waitSocket(wctx) })
	select {
	case err := <-done:
		return fmt.Errorf("containerd: %w", err)
	case <-ctx.Done():
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	return nil
}

// waitSocket closes ready once the socket accepts a connection.
func (p *Process) waitSocket(ctx context.Context) {
	for {
		if c, err := net.Dial("unix", p.cfg.Socket()); err == nil {
			c.Close()
			select {
			case <-p.ready:
			default:
				close(p.ready)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ErrNotReady is returned by WaitReady when containerd did not open its
// socket in time.
var ErrNotReady = errors.New("containerd socket not ready")

// WaitReady blocks until Ready, ctx ends, or timeout passes.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration) error {
	select {
	case <-p.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("%w after %s; see %s", ErrNotReady, timeout, p.logPath())
	}
}
