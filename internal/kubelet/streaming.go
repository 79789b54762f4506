package kubelet

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// streamFlag reads a stream option; the API server sends input, output
// and error ("1"), other clients stdin, stdout and stderr.
func streamFlag(q url.Values, names ...string) bool {
	for _, n := range names {
		if b, err := strconv.ParseBool(q.Get(n)); err == nil && b {
			return true
		}
	}
	return false
}

// streamOptions are the streams an exec or attach session carries.
type streamOptions struct {
	stdin, stdout, stderr, tty bool
}

func parseStreamOptions(q url.Values) streamOptions {
	o := streamOptions{
		stdin:  streamFlag(q, "input", "stdin"),
		stdout: streamFlag(q, "output", "stdout"),
		stderr: streamFlag(q, "error", "stderr"),
		tty:    streamFlag(q, "tty"),
	}
	// A terminal merges stderr into stdout; CRI refuses both.
	if o.tty {
		o.stderr = false
	}
	return o
}

// serveExec answers /exec/{namespace}/{pod}/{container}.
func (k *Kubelet) serveExec(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cmd := q["command"]
	if len(cmd) == 0 {
		http.Error(w, "missing command", http.StatusBadRequest)
		return
	}
	k.proxyStream(w, r, func(ctx context.Context, pod *corev1.Pod) (string, error) {
		id, err := k.runningContainer(ctx, pod, r.PathValue("container"))
		if err != nil {
			return "", err
		}
		o := parseStreamOptions(q)
		resp, err := k.cfg.Runtime.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id, Cmd: cmd, Tty: o.tty, Stdin: o.stdin, Stdout: o.stdout, Stderr: o.stderr})
		if err != nil {
			return "", fmt.Errorf("exec: %w", err)
		}
		return resp.Url, nil
	})
}

// serveAttach answers /attach/{namespace}/{pod}/{container}.
func (k *Kubelet) serveAttach(w http.ResponseWriter, r *http.Request) {
	k.proxyStream(w, r, func(ctx context.Context, pod *corev1.Pod) (string, error) {
		id, err := k.runningContainer(ctx, pod, r.PathValue("container"))
		if err != nil {
			return "", err
		}
		o := parseStreamOptions(r.URL.Query())
		resp, err := k.cfg.Runtime.Attach(ctx, &runtimeapi.AttachRequest{ContainerId: id, Tty: o.tty, Stdin: o.stdin, Stdout: o.stdout, Stderr: o.stderr})
		if err != nil {
			return "", fmt.Errorf("attach: %w", err)
		}
		return resp.Url, nil
	})
}

// servePortForward answers /portForward/{namespace}/{pod}; SPDY clients
// name ports per stream, WebSocket clients in the port query.
func (k *Kubelet) servePortForward(w http.ResponseWriter, r *http.Request) {
	var ports []int32
	for _, p := range r.URL.Query()["port"] {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			http.Error(w, fmt.Sprintf("invalid port %q", p), http.StatusBadRequest)
			return
		}
		ports = append(ports, int32(n))
	}
	k.proxyStream(w, r, func(ctx context.Context, pod *corev1.Pod) (string, error) {
		rt, err := k.runtimeState(ctx, pod.UID)
		if err != nil {
			return "", err
		}
		for _, sb := range rt.sandboxes {
			if sb.State == runtimeapi.PodSandboxState_SANDBOX_READY {
				resp, err := k.cfg.Runtime.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: sb.Id, Port: ports})
				if err != nil {
					return "", fmt.Errorf("port forward: %w", err)
				}
				return resp.Url, nil
			}
		}
		return "", fmt.Errorf("pod %q has no running sandbox", pod.Name)
	})
}

// runningContainer is the ID of the container's running instance.
func (k *Kubelet) runningContainer(ctx context.Context, pod *corev1.Pod, container string) (string, error) {
	rt, err := k.runtimeState(ctx, pod.UID)
	if err != nil {
		return "", err
	}
	for _, c := range instancesByName(rt.containers)[container] {
		if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			return c.Id, nil
		}
	}
	return "", fmt.Errorf("container %q in pod %q is not running", container, pod.Name)
}

// proxyStream asks the runtime for a streaming URL and proxies the
// client's upgrade there: the URL's token is single use, so a redirect
// would not survive a client retry.
func (k *Kubelet) proxyStream(w http.ResponseWriter, r *http.Request, streamURL func(context.Context, *corev1.Pod) (string, error)) {
	ns, name := r.PathValue("namespace"), r.PathValue("pod")
	pod, err := k.pods.Pods(ns).Get(name)
	if err != nil {
		http.Error(w, fmt.Sprintf("pod %s/%s not found", ns, name), http.StatusNotFound)
		return
	}
	raw, err := streamURL(r.Context(), pod)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	target, err := url.Parse(raw)
	if err != nil {
		http.Error(w, fmt.Sprintf("runtime streaming URL %q: %v", raw, err), http.StatusInternalServerError)
		return
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := *target
			pr.Out.URL, pr.Out.Host = &u, target.Host
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, fmt.Sprintf("runtime streaming server: %v", err), http.StatusBadGateway)
		},
	}
	rp.ServeHTTP(w, r)
}
