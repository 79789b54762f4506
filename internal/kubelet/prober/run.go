package prober

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Target is the container instance a probe reaches.
type Target struct {
	// Host is the pod IP (the node IP for hostNetwork pods), used unless
	// an httpGet names its own host.
	Host string
	// Ports resolve named ports.
	Ports []corev1.ContainerPort
	// Exec runs cmd in the container; a non-zero exit is not an error.
	Exec func(ctx context.Context, cmd []string, timeout time.Duration) (output []byte, exitCode int32, err error)
	// Dial opens httpGet, tcpSocket and grpc connections. Default: a plain
	// net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (t Target) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if t.Dial != nil {
		return t.Dial(ctx, network, addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// maxBody is how much of a response or command output a message keeps.
const maxBody = 10 << 10

// Run performs one probe with the given timeout and returns its outcome
// and, on failure, why.
func Run(ctx context.Context, h corev1.ProbeHandler, t Target, timeout time.Duration) (Result, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case h.Exec != nil:
		return runExec(ctx, h.Exec.Command, t, timeout)
	case h.HTTPGet != nil:
		return runHTTP(ctx, h.HTTPGet, t)
	case h.TCPSocket != nil:
		return runTCP(ctx, h.TCPSocket, t)
	case h.GRPC != nil:
		return runGRPC(ctx, h.GRPC, t)
	}
	return Failure, "probe has no handler"
}

func runExec(ctx context.Context, cmd []string, t Target, timeout time.Duration) (Result, string) {
	out, code, err := t.Exec(ctx, cmd, timeout)
	if len(out) > maxBody {
		out = out[:maxBody]
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return Failure, fmt.Sprintf("command %q timed out", strings.Join(cmd, " "))
	case err != nil:
		return Failure, err.Error()
	case code != 0:
		return Failure, fmt.Sprintf("command %q exited with %d: %s", strings.Join(cmd, " "), code, out)
	}
	return Success, ""
}

func runHTTP(ctx context.Context, g *corev1.HTTPGetAction, t Target) (Result, string) {
	port, err := resolvePort(g.Port, t.Ports)
	if err != nil {
		return Failure, err.Error()
	}
	host := g.Host
	if host == "" {
		host = t.Host
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+path, nil)
	if err != nil {
		return Failure, err.Error()
	}
	req.Header.Set("User-Agent", "kube-probe/skiff")
	req.Header.Set("Accept", "*/*")
	for _, h := range g.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true, DialContext: t.dial}, //nolint:gosec // probes do not verify, as in Kubernetes
		// 3xx counts as success; redirects are not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return Failure, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return Success, ""
	}
	return Failure, fmt.Sprintf("HTTP probe failed with statuscode: %d: %s", resp.StatusCode, body)
}

func runTCP(ctx context.Context, s *corev1.TCPSocketAction, t Target) (Result, string) {
	port, err := resolvePort(s.Port, t.Ports)
	if err != nil {
		return Failure, err.Error()
	}
	host := s.Host
	if host == "" {
		host = t.Host
	}
	conn, err := t.dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return Failure, err.Error()
	}
	_ = conn.Close()
	return Success, ""
}

func runGRPC(ctx context.Context, g *corev1.GRPCAction, t Target) (Result, string) {
	conn, err := grpc.NewClient(net.JoinHostPort(t.Host, strconv.Itoa(int(g.Port))), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return t.dial(ctx, "tcp", addr) }))
	if err != nil {
		return Failure, err.Error()
	}
	defer conn.Close()
	req := &healthpb.HealthCheckRequest{}
	if g.Service != nil {
		req.Service = *g.Service
	}
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, req)
	if err != nil {
		return Failure, fmt.Sprintf("grpc health check: %v", err)
	}
	if resp.Status != healthpb.HealthCheckResponse_SERVING {
		return Failure, fmt.Sprintf("service unhealthy (responded with %q)", resp.Status)
	}
	return Success, ""
}

// resolvePort turns a port number or a named container port into a
// number.
func resolvePort(p intstr.IntOrString, ports []corev1.ContainerPort) (int, error) {
	if p.Type == intstr.Int {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("invalid port %d", p.IntVal)
		}
		return int(p.IntVal), nil
	}
	for _, cp := range ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil && n > 0 && n <= 65535 {
		return n, nil
	}
	return 0, fmt.Errorf("port %q not found", p.StrVal)
}
