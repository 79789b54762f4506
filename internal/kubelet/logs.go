package kubelet

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// logPollInterval is how often a followed log is checked for growth.
const logPollInterval = 250 * time.Millisecond

// parseLogOptions reads the query of /containerLogs as the Kubernetes
// kubelet does; previous is returned apart since it picks the file.
func parseLogOptions(q url.Values, now time.Time) (opts logOptions, previous bool, err error) {
	opts.tail = -1
	flag := func(name string) (bool, error) {
		v := q.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%s: %q is not a boolean", name, v)
		}
		return b, nil
	}
	num := func(name string, min int64) (int64, bool, error) {
		v := q.Get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min {
			return 0, false, fmt.Errorf("%s: %q must be an integer of at least %d", name, v, min)
		}
		return n, true, nil
	}
	if opts.follow, err = flag("follow"); err != nil {
		return opts, false, err
	}
	if previous, err = flag("previous"); err != nil {
		return opts, false, err
	}
	if opts.timestamps, err = flag("timestamps"); err != nil {
		return opts, false, err
	}
	if n, ok, err := num("tailLines", 0); err != nil {
		return opts, false, err
	} else if ok {
		opts.tail = n
	}
	if opts.limitBytes, _, err = num("limitBytes", 1); err != nil {
		return opts, false, err
	}
	secs, hasSecs, err := num("sinceSeconds", 1)
	if err != nil {
		return opts, false, err
	}
	sinceTime := q.Get("sinceTime")
	switch {
	case hasSecs && sinceTime != "":
		return opts, false, fmt.Errorf("at most one of sinceTime or sinceSeconds may be specified")
	case hasSecs:
		opts.since = now.Add(-time.Duration(secs) * time.Second)
	case sinceTime != "":
		if opts.since, err = time.Parse(time.RFC3339, sinceTime); err != nil {
			return opts, false, fmt.Errorf("sinceTime: %w", err)
		}
	}
	return opts, previous, nil
}

// serveContainerLogs answers GET /containerLogs/{namespace}/{pod}/{container}.
func (k *Kubelet) serveContainerLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, previous, err := parseLogOptions(r.URL.Query(), k.cfg.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pod, err := k.pods.Pods(ns).Get(name)
	if err != nil {
		http.Error(w, fmt.Sprintf("pod %s/%s not found", ns, name), http.StatusNotFound)
		return
	}
	inst, err := k.containerInstance(r.Context(), pod, container, previous)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f, err := os.Open(inst.LogPath)
	if err != nil {
		http.Error(w, fmt.Sprintf("log of container %q in pod %q: %v", container, name, err), http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain")
	hooks := followHooks{
		running: func() bool { return k.containerRunning(r.Context(), inst.Id) },
		wait: func(ctx context.Context) bool {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(logPollInterval):
				return true
			}
		},
	}
	if err := copyLog(r.Context(), f, opts, flushWriter{w}, hooks); err != nil && r.Context().Err() == nil {
		k.log.Warn("container logs", "pod", ns+"/"+name, "container", container, "err", err)
	}
}

// containerInstance picks the runtime container whose log is wanted:
// the newest one, or with previous the one before it, as the Kubernetes
// kubelet reads status and lastState.
func (k *Kubelet) containerInstance(ctx context.Context, pod *corev1.Pod, container string, previous bool) (*runtimeapi.ContainerStatus, error) {
	rt, err := k.runtimeState(ctx, pod.UID)
	if err != nil {
		return nil, err
	}
	inst := instancesByName(rt.containers)[container]
	if !previous {
		if len(inst) == 0 {
			return nil, fmt.Errorf("container %q in pod %q is waiting to start - no logs yet", container, pod.Name)
		}
		return inst[0], nil
	}
	// While a crashed container waits for its restart, its last run is
	// already the previous one.
	if len(inst) > 0 && inst[0].State == runtimeapi.ContainerState_CONTAINER_EXITED && shouldRestart(pod.Spec.RestartPolicy, inst[0].ExitCode) && pod.DeletionTimestamp == nil {
		return inst[0], nil
	}
	if len(inst) < 2 {
		return nil, fmt.Errorf("previous terminated container %q in pod %q not found", container, pod.Name)
	}
	return inst[1], nil
}

// containerRunning asks the runtime; errors count as stopped.
func (k *Kubelet) containerRunning(ctx context.Context, id string) bool {
	st, err := k.cfg.Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	return err == nil && st.Status.State == runtimeapi.ContainerState_CONTAINER_RUNNING
}

// flushWriter pushes every write to the client, for followed logs.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) { return f.w.Write(p) }

func (f flushWriter) Flush() { http.NewResponseController(f.w).Flush() }
