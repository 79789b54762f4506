package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/prober"
)

// probeKey names one probe of one container instance.
type probeKey struct {
	id   string
	kind prober.Kind
}

// probeResults holds the verdicts of running probe workers, written by
// them and read by pod workers.
type probeResults struct {
	mu      sync.Mutex
	results map[probeKey]prober.Result
}

func (p *probeResults) get(k probeKey) prober.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.results[k]
}

func (p *probeResults) set(k probeKey, r prober.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.results[k] = r
}

func (p *probeResults) forget(k probeKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.results, k)
}

// containerProbed reports a running instance's readiness and whether it
// has started, from its probes: without a startup probe it has started;
// without a readiness probe a started container is ready.
func (k *Kubelet) containerProbed(c corev1.Container, id string) (ready, started bool) {
	started = c.StartupProbe == nil || k.probes.get(probeKey{id, prober.Startup}) == prober.Success
	ready = started && (c.ReadinessProbe == nil || k.probes.get(probeKey{id, prober.Readiness}) == prober.Success)
	return ready, started
}

// probeFailure returns which probe condemned a running instance, if any.
func (k *Kubelet) probeFailure(id string) (prober.Kind, bool) {
	for _, kind := range []prober.Kind{prober.Liveness, prober.Startup} {
		if k.probes.get(probeKey{id, kind}) == prober.Failure {
			return kind, true
		}
	}
	return "", false
}

// syncProbes runs a probe worker for every probe of every running
// container instance of the pod and stops the others; a nil pod stops
// them all.
func (k *Kubelet) syncProbes(ctx context.Context, w *worker, pod *corev1.Pod, running map[string]*runtimeapi.ContainerStatus, podIP string) {
	want := map[probeKey]bool{}
	if pod != nil {
		for _, c := range pod.Spec.Containers {
			inst := running[c.Name]
			if inst == nil {
				continue
			}
			for kind, p := range map[prober.Kind]*corev1.Probe{prober.Liveness: c.LivenessProbe, prober.Readiness: c.ReadinessProbe, prober.Startup: c.StartupProbe} {
				if p == nil {
					continue
				}
				key := probeKey{inst.Id, kind}
				want[key] = true
				if w.probes[key] == nil {
					w.probes[key] = k.startProbe(ctx, w, pod, c, key, p, podIP)
				}
			}
		}
	}
	for key, cancel := range w.probes {
		if !want[key] {
			cancel()
			delete(w.probes, key)
			k.probes.forget(key)
		}
	}
}

// startProbe starts one probe worker and returns its stop function.
func (k *Kubelet) startProbe(ctx context.Context, w *worker, pod *corev1.Pod, c corev1.Container, key probeKey, p *corev1.Probe, podIP string) context.CancelFunc {
	ctx, cancel := context.WithCancel(ctx)
	pw := &prober.Worker{
		Kind: key.kind, Probe: p, Target: k.probeTarget(c, key.id, podIP),
		OnProbe: func(r prober.Result, msg string) {
			if r == prober.Failure {
				k.recorder.Eventf(pod, corev1.EventTypeWarning, "Unhealthy", "%s probe failed: %s", key.kind, msg)
			}
		},
		OnChange: func(r prober.Result) {
			k.probes.set(key, r)
			k.log.Info("probe result", "pod", w.ref, "container", c.Name, "probe", key.kind, "result", r)
			k.enqueue(ctx, w.ref)
		},
	}
	if key.kind != prober.Startup && c.StartupProbe != nil {
		pw.Gate = func() bool { return k.probes.get(probeKey{key.id, prober.Startup}) == prober.Success }
	}
	k.wg.Go(func() { pw.Run(ctx) })
	return cancel
}

// probeTarget is how probes and hooks reach one container instance.
func (k *Kubelet) probeTarget(c corev1.Container, id, podIP string) prober.Target {
	return prober.Target{Host: podIP, Ports: c.Ports, Dial: k.cfg.PodDial, Exec: func(ctx context.Context, cmd []string, timeout time.Duration) ([]byte, int32, error) {
		resp, err := k.cfg.Runtime.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: int64(max(1, timeout/time.Second))})
		if err != nil {
			return nil, 0, fmt.Errorf("exec %s: %w", c.Name, err)
		}
		return append(resp.Stdout, resp.Stderr...), resp.ExitCode, nil
	}}
}

// killForProbe stops a running instance that failed its liveness or
// startup probe; restartPolicy then decides whether it runs again.
func (k *Kubelet) killForProbe(ctx context.Context, pod *corev1.Pod, c corev1.Container, id string, kind prober.Kind, podIP string) {
	what := map[prober.Kind]string{prober.Liveness: "liveness", prober.Startup: "startup"}[kind]
	k.recorder.Eventf(pod, corev1.EventTypeNormal, "Killing", "Container %s failed %s probe, will be restarted", c.Name, what)
	grace := podGrace(pod)
	probe := c.LivenessProbe
	if kind == prober.Startup {
		probe = c.StartupProbe
	}
	if probe.TerminationGracePeriodSeconds != nil {
		grace = *probe.TerminationGracePeriodSeconds
	}
	if err := k.stopContainer(ctx, pod, c, id, grace, podIP); err != nil {
		k.log.Warn("kill container", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "err", err)
	}
}

// podGrace is the pod's terminationGracePeriodSeconds (default 30).
func podGrace(pod *corev1.Pod) int64 {
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		return *g
	}
	return 30
}
