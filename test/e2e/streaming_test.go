package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// kubectlCLI runs the real kubectl against the test cluster in one
// namespace.
type kubectlCLI struct {
	t          *testing.T
	kubeconfig string
	namespace  string
}

func (k kubectlCLI) command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", k.kubeconfig, "-n", k.namespace}, args...)...)
}

// startKubectlNode starts a cluster with one node behind the traffic
// guard and a namespace for the test, and returns the real kubectl
// pointed at that namespace.
func startKubectlNode(t *testing.T, namespace string) (*testcluster.Cluster, kubectlCLI) {
	t.Helper()
	requireNode(t)
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("e2e: kubectl not on PATH")
	}
	installTrafficGuard(t)
	c := testcluster.Start(t)
	startNode(t, c, "e2e-node")
	createNamespace(t, c, namespace)
	return c, kubectlCLI{t: t, kubeconfig: c.Server.KubeconfigPath(), namespace: namespace}
}

// run returns kubectl's stdout, failing the test on error.
func (k kubectlCLI) run(stdin string, args ...string) string {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := k.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// lines reads a running kubectl's stdout line by line into a channel.
func lines(t *testing.T, cmd *exec.Cmd) <-chan string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// waitLine reads ch until a line matches, failing after a minute.
func waitLine(t *testing.T, ch <-chan string, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				t.Fatalf("kubectl output ended before a line matching %s", re)
			}
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line matching %s within a minute", re)
		}
	}
}

// TestStreaming drives kubectl logs, exec, cp and port-forward through
// the API server and the kubelet server of a real node. The only
// traffic is to loopback, the node's own address and the e2e pod range.
func TestStreaming(t *testing.T) {
	c, k := startKubectlNode(t, "e2e-streaming")
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-streaming"}}
	pods := c.Client.CoreV1().Pods(ns.Name)

	// logger writes to both streams, then waits for /tmp/go to write more.
	logger := create(t, pods, makePod("logger", corev1.RestartPolicyAlways, "sh", "-c",
		`echo oops >&2; for i in 1 2 3; do echo line-$i; done; while [ ! -f /tmp/go ]; do sleep 0.2; done; echo after-go; exec sleep 3600`))
	waitPod(t, c.Client, logger, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })

	t.Run("logs and --tail", func(t *testing.T) {
		var all string
		waitFor(t, 30*time.Second, "four log lines", func() (bool, error) {
			all = k.run("", "logs", "logger")
			return strings.Count(all, "\n") == 4, nil
		})
		for _, want := range []string{"oops\n", "line-1\nline-2\nline-3\n"} {
			if !strings.Contains(all, want) {
				t.Errorf("logs lack %q:\n%s", want, all)
			}
		}
		ls := strings.SplitAfter(all, "\n")
		if got, want := k.run("", "logs", "logger", "--tail=2"), strings.Join(ls[2:4], ""); got != want {
			t.Errorf("--tail=2 = %q, want %q", got, want)
		}
		if got := k.run("", "logs", "logger", "--limit-bytes=3"); len(got) != 3 || !strings.HasPrefix(all, got) {
			t.Errorf("--limit-bytes=3 = %q", got)
		}
		if got := k.run("", "logs", "logger", "--timestamps", "--tail=1"); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+Z \S+\n$`).MatchString(got) {
			t.Errorf("--timestamps --tail=1 = %q", got)
		}
	})

	t.Run("exec", func(t *testing.T) {
		if got := k.run("", "exec", "logger", "--", "echo", "hi"); got != "hi\n" {
			t.Errorf("exec echo hi = %q", got)
		}
		if got := k.run("from stdin\n", "exec", "-i", "logger", "--", "sh", "-c", "cat; echo end"); got != "from stdin\nend\n" {
			t.Errorf("exec -i = %q", got)
		}
	})

	t.Run("exec over WebSocket alone", func(t *testing.T) { checkWebSocketExec(t, c, ns.Name, "logger") })

	t.Run("attach -i", func(t *testing.T) {
		reader := makePod("reader", corev1.RestartPolicyAlways, "sh", "-c", `while read l; do echo got-$l; done; exec sleep 3600`)
		reader.Spec.Containers[0].Stdin = true
		reader = create(t, pods, reader)
		waitPod(t, c.Client, reader, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
		actx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		cmd := k.command(actx, "attach", "-i", "reader")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		ch := lines(t, cmd)
		defer func() { cancel(); _ = cmd.Wait() }()
		if _, err := io.WriteString(in, "ping\n"); err != nil {
			t.Fatal(err)
		}
		waitLine(t, ch, regexp.MustCompile(`^got-ping$`))
	})

	t.Run("logs -f follows new output", func(t *testing.T) {
		fctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		cmd := k.command(fctx, "logs", "-f", "logger")
		ch := lines(t, cmd)
		defer func() { cancel(); _ = cmd.Wait() }()
		// The stream is open once the old lines arrive; then the pod writes.
		waitLine(t, ch, regexp.MustCompile(`^line-3$`))
		k.run("", "exec", "logger", "--", "sh", "-c", ": > /tmp/go")
		waitLine(t, ch, regexp.MustCompile(`^after-go$`))
	})

	t.Run("cp into the pod and back", func(t *testing.T) {
		dir := t.TempDir()
		src, back := filepath.Join(dir, "in.txt"), filepath.Join(dir, "back.txt")
		content := strings.Repeat("skiff cp round trip\n", 5000)
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		k.run("", "cp", src, "logger:/tmp/in.txt")
		if got := k.run("", "exec", "logger", "--", "grep", "-c", "round trip", "/tmp/in.txt"); got != "5000\n" {
			t.Errorf("lines in the pod's copy: %q", got)
		}
		k.run("", "cp", "logger:/tmp/in.txt", back)
		if got, err := os.ReadFile(back); err != nil || string(got) != content {
			t.Errorf("copied back %d bytes (err %v), want the %d sent", len(got), err, len(content))
		}
	})

	t.Run("port-forward", func(t *testing.T) {
		web := create(t, pods, makePod("web", corev1.RestartPolicyAlways, "sh", "-c",
			`mkdir -p /www && echo hello-forward > /www/index.html && exec httpd -f -p 8080 -h /www`))
		waitPod(t, c.Client, web, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
		fctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		cmd := k.command(fctx, "port-forward", "--address", "127.0.0.1", "pod/web", ":8080")
		ch := lines(t, cmd)
		defer func() { cancel(); _ = cmd.Wait() }()
		port := waitLine(t, ch, regexp.MustCompile(`^Forwarding from 127\.0\.0\.1:(\d+) -> 8080$`))[1]
		var body []byte
		// httpd may still be starting: retry until it answers.
		waitFor(t, 30*time.Second, "a page through the forwarded port", func() (bool, error) {
			resp, err := http.Get("http://127.0.0.1:" + port + "/")
			if err != nil {
				return false, nil
			}
			defer resp.Body.Close()
			body, err = io.ReadAll(resp.Body)
			return err == nil && resp.StatusCode == http.StatusOK, nil
		})
		if string(body) != "hello-forward\n" {
			t.Errorf("page = %q", body)
		}
		if got := getThroughWebSocketPortForward(t, c, ns.Name, "web", 8080); got != "hello-forward\n" {
			t.Errorf("page over the WebSocket tunnel = %q", got)
		}
	})

	t.Run("logs --previous after a restart", func(t *testing.T) {
		pod := makePod("restarter", corev1.RestartPolicyAlways, "sh", "-c",
			`if [ -f /data/ran ]; then echo second-run; exec sleep 3600; fi; : > /data/ran; echo first-run; exit 1`)
		pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
		pod = create(t, pods, pod)
		waitPod(t, c.Client, pod, 90*time.Second, "restarted and Running", func(p *corev1.Pod) bool {
			cs := p.Status.ContainerStatuses
			return len(cs) == 1 && cs[0].RestartCount >= 1 && cs[0].State.Running != nil
		})
		waitFor(t, 30*time.Second, "the second run's log", func() (bool, error) {
			return k.run("", "logs", "restarter") == "second-run\n", nil
		})
		if got := k.run("", "logs", "restarter", "--previous"); got != "first-run\n" {
			t.Errorf("--previous = %q, want first-run", got)
		}
	})

	t.Run("nodes/proxy", func(t *testing.T) {
		if got := k.run("", "get", "--raw", "/api/v1/nodes/e2e-node/proxy/healthz"); got != "ok" {
			t.Errorf("kubelet healthz through the API = %q", got)
		}
	})

	t.Run("API errors", func(t *testing.T) {
		two := makePod("two", corev1.RestartPolicyAlways, "sleep", "3600")
		two.Spec.Containers = append(two.Spec.Containers, corev1.Container{Name: "side", Image: busyboxImage, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep", "3600"}})
		two.Spec.NodeName = "no-such-node" // never started: no status
		create(t, pods, two)
		for _, tc := range []struct {
			container, want string
		}{
			{"", "a container name must be specified for pod two, choose one of: [main side]"},
			{"nope", "container nope is not valid for pod two"},
			{"side", `container "side" in pod "two" is waiting to start: ContainerCreating`},
		} {
			err := pods.GetLogs("two", &corev1.PodLogOptions{Container: tc.container}).Do(ctx).Error()
			if !apierrors.IsBadRequest(err) || err.Error() != tc.want {
				t.Errorf("logs -c %q: %v, want BadRequest %q", tc.container, err, tc.want)
			}
		}
		tail := int64(-1)
		if err := pods.GetLogs("logger", &corev1.PodLogOptions{TailLines: &tail}).Do(ctx).Error(); !apierrors.IsInvalid(err) {
			t.Errorf("tailLines -1: %v, want Invalid", err)
		}
	})
}
