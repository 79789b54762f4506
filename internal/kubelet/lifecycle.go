package kubelet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/prober"
)

// postStartTimeout bounds a postStart hook.
const postStartTimeout = 2 * time.Minute

// runHook runs a lifecycle handler (exec, httpGet, tcpSocket or sleep)
// against a container instance within timeout.
func (k *Kubelet) runHook(ctx context.Context, c corev1.Container, id, podIP string, h *corev1.LifecycleHandler, timeout time.Duration) error {
	if h.Sleep != nil {
		select {
		case <-ctx.Done():
		case <-time.After(min(timeout, time.Duration(h.Sleep.Seconds)*time.Second)):
		}
		return nil
	}
	ph := corev1.ProbeHandler{Exec: h.Exec, HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket}
	if r, msg := prober.Run(ctx, ph, k.probeTarget(c, id, podIP), timeout); r != prober.Success {
		return errors.New(msg)
	}
	return nil
}

// postStart runs c's postStart hook, if any; on failure it kills the
// instance, as Kubernetes does, and reports it.
func (k *Kubelet) postStart(ctx context.Context, pod *corev1.Pod, c corev1.Container, id, podIP string) error {
	if c.Lifecycle == nil || c.Lifecycle.PostStart == nil {
		return nil
	}
	err := k.runHook(ctx, c, id, podIP, c.Lifecycle.PostStart, postStartTimeout)
	if err == nil {
		return nil
	}
	k.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedPostStartHook", "PostStartHook failed: %v", err)
	if serr := k.stopContainer(ctx, nil, c, id, podGrace(pod), podIP); serr != nil {
		return errors.Join(err, serr)
	}
	return fmt.Errorf("postStart hook: %w", err)
}

// stopContainer runs c's preStop hook (when pod is given) and then stops
// the instance, all within grace seconds.
func (k *Kubelet) stopContainer(ctx context.Context, pod *corev1.Pod, c corev1.Container, id string, grace int64, podIP string) error {
	if pod != nil && c.Lifecycle != nil && c.Lifecycle.PreStop != nil && grace > 0 {
		start := time.Now()
		if err := k.runHook(ctx, c, id, podIP, c.Lifecycle.PreStop, time.Duration(grace)*time.Second); err != nil {
			k.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedPreStopHook", "PreStopHook failed: %v", err)
		}
		grace = max(0, grace-int64(time.Since(start)/time.Second))
	}
	_, err := k.cfg.Runtime.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: grace})
	if err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("stop container %s: %w", c.Name, err)
	}
	return nil
}
