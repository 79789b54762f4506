package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// execWebSocketOnly runs a command in a pod over the WebSocket protocol
// alone (no SPDY fallback, unlike kubectl), so it passes only if the API
// server translates WebSocket to the kubelet's SPDY.
func execWebSocketOnly(t *testing.T, c *testcluster.Cluster, ns, pod, stdin string, command ...string) (stdout, stderr string, err error) {
	t.Helper()
	u := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Command: command, Stdin: stdin != "", Stdout: true, Stderr: true}, scheme.ParameterCodec).URL()
	executor, err := remotecommand.NewWebSocketExecutor(c.Config, "GET", u.String())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut}
	if stdin != "" {
		opts.Stdin = strings.NewReader(stdin)
	}
	err = executor.StreamWithContext(context.Background(), opts)
	return out.String(), errOut.String(), err
}

// checkWebSocketExec: stdin in, both output streams back, and the exit
// code as client-go reports it.
func checkWebSocketExec(t *testing.T, c *testcluster.Cluster, ns, pod string) {
	stdout, stderr, err := execWebSocketOnly(t, c, ns, pod, "over websocket\n", "sh", "-c", "cat; echo to-stderr >&2; exit 3")
	if stdout != "over websocket\n" || stderr != "to-stderr\n" {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	var exit exec.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 3 {
		t.Errorf("error %v, want exit code 3", err)
	}
	if stdout, _, err := execWebSocketOnly(t, c, ns, pod, "", "cat", "/etc/hostname"); err != nil || stdout != pod+"\n" {
		t.Errorf("cat /etc/hostname: %q, %v", stdout, err)
	}
}

// getThroughWebSocketPortForward forwards a local port to the pod's port
// over the WebSocket tunnel alone (no SPDY fallback) and GETs / through
// it.
func getThroughWebSocketPortForward(t *testing.T, c *testcluster.Cluster, ns, pod string, port int) string {
	t.Helper()
	u := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward").URL()
	dialer, err := portforward.NewSPDYOverWebsocketDialer(u, c.Config)
	if err != nil {
		t.Fatal(err)
	}
	stop, ready := make(chan struct{}), make(chan struct{})
	defer close(stop)
	pf, err := portforward.New(dialer, []string{fmt.Sprintf("0:%d", port)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- pf.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("port-forward over WebSocket: %v", err)
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) != 1 {
		t.Fatalf("forwarded ports %v: %v", ports, err)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", ports[0].Local))
	if err != nil {
		t.Fatalf("GET through the WebSocket tunnel: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}
