package kubelet

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// orphanGrace is the stop timeout, in seconds, for containers of a pod
// that is gone from the API (force-deleted).
const orphanGrace = 2

// retryPeriod is how soon a failed container start is tried again.
const retryPeriod = 10 * time.Second

// syncPod moves one pod towards its spec: it kills the pods being
// deleted (then deletes them for good), starts sandboxes and containers,
// restarts them per restartPolicy with back-off, and writes the status.
// It returns when to sync again (0: on the next event) and whether the
// worker is done with the pod.
func (k *Kubelet) syncPod(ctx context.Context, w *worker, pod *corev1.Pod) (time.Duration, bool, error) {
	switch {
	case pod == nil:
		k.syncProbes(ctx, w, nil, nil, "")
		return 0, true, k.killPod(ctx, w.ref, nil, orphanGrace)
	case pod.DeletionTimestamp != nil:
		k.syncProbes(ctx, w, nil, nil, "")
		return 0, true, k.terminate(ctx, w, pod)
	}
	prev := pod.Status
	if w.lastStatus != nil {
		prev = *w.lastStatus
	}
	if msg, ok := k.eviction.requestedFor(pod.UID); ok && !isTerminal(prev.Phase) {
		return 0, false, k.evictPod(ctx, w, pod, prev, msg)
	}
	if isTerminal(prev.Phase) {
		k.syncProbes(ctx, w, nil, nil, "")
		return 0, false, k.stopPod(ctx, pod.UID)
	}
	rt, err := k.runtimeState(ctx, pod.UID)
	if err != nil {
		return 0, false, err
	}
	sandboxID, sandboxCfg, err := k.ensureSandbox(ctx, pod, rt)
	if err != nil {
		k.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
		return 0, false, err
	}
	sb, err := k.cfg.Runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sandboxID})
	if err != nil {
		return 0, false, fmt.Errorf("sandbox status: %w", err)
	}
	facts := podFacts{pod: pod, podIP: sb.Status.GetNetwork().GetIp(), hostIP: k.cfg.NodeIP, allocatable: k.capacity}
	if pod.Spec.HostNetwork {
		facts.podIP = k.cfg.NodeIP
	}
	if w.volumes == nil {
		if w.volumes, err = k.setupVolumes(ctx, facts); err != nil {
			k.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedMount", "Unable to attach or mount volumes: %v", err)
			// The containers wait as ContainerCreating while volumes fail.
			st := computeStatus(statusInput{pod: pod, prev: prev, sandbox: sb.Status, waiting: w.waiting, hostIP: k.cfg.NodeIP, now: k.cfg.Now()})
			return retryPeriod, false, errors.Join(err, k.writeStatus(ctx, w, pod, st))
		}
	}
	again := k.syncContainers(ctx, w, facts, sandboxID, sandboxCfg, rt)
	if rt, err = k.runtimeState(ctx, pod.UID); err != nil {
		return 0, false, err
	}
	k.syncProbes(ctx, w, pod, runningByName(rt.containersIn(sandboxID)), facts.podIP)
	st := computeStatus(statusInput{
		pod: pod, prev: prev, sandbox: sb.Status, containers: rt.containersIn(sandboxID),
		waiting: w.waiting, hostIP: k.cfg.NodeIP, now: k.cfg.Now(), probed: k.containerProbed,
	})
	if err := k.writeStatus(ctx, w, pod, st); err != nil {
		return 0, false, err
	}
	if isTerminal(st.Phase) {
		k.syncProbes(ctx, w, nil, nil, "")
		return 0, false, k.stopPod(ctx, pod.UID)
	}
	if again == 0 && len(w.waiting) > 0 {
		again = retryPeriod // an image pull or create failed: try again
	}
	return again, false, nil
}

// terminate stops a deleted pod's containers within its grace period,
// removes its sandboxes, and then deletes the pod object for good.
func (k *Kubelet) terminate(ctx context.Context, w *worker, pod *corev1.Pod) error {
	grace := podGrace(pod)
	if pod.DeletionGracePeriodSeconds != nil {
		grace = *pod.DeletionGracePeriodSeconds
	}
	if err := k.killPod(ctx, w.ref, pod, grace); err != nil {
		return err
	}
	zero := int64(0)
	err := k.cfg.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s: %w", w.ref, err)
	}
	k.log.Info("pod deleted", "pod", w.ref)
	return nil
}

// writeStatus writes st unless it is what was last written. A conflict
// (the informer lagging our own write) is retried once on a fresh read.
func (k *Kubelet) writeStatus(ctx context.Context, w *worker, pod *corev1.Pod, st corev1.PodStatus) error {
	last := &pod.Status
	if w.lastStatus != nil {
		last = w.lastStatus
	}
	if equality.Semantic.DeepEqual(*last, st) {
		w.lastStatus = &st
		return nil
	}
	pods := k.cfg.Client.CoreV1().Pods(pod.Namespace)
	p := pod.DeepCopy()
	p.Status = st
	_, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		if p, err = pods.Get(ctx, pod.Name, metav1.GetOptions{}); err == nil && p.UID == pod.UID {
			p.Status = st
			_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("update status %s: %w", w.ref, err)
	}
	if st.Phase != last.Phase {
		k.log.Info("pod phase", "pod", w.ref, "phase", st.Phase)
	}
	w.lastStatus = &st
	return nil
}
