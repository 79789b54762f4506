package kubelet

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
)

// podRef names a pod the kubelet knows of, from the API or from the
// runtime's labels.
type podRef struct {
	uid             types.UID
	namespace, name string
}

func (r podRef) String() string { return r.namespace + "/" + r.name }

// worker serialises everything done to one pod: each wake-up runs one
// sync; a sync may ask to run again after a delay (back-off).
type worker struct {
	ref  podRef
	wake chan struct{}
	// Owned by the worker goroutine.
	lastStatus *corev1.PodStatus
	waiting    map[string]waiting
	// probes are the running probe workers' stop functions.
	probes map[probeKey]context.CancelFunc
	// volumes are the host paths of the pod's volumes, once set up.
	volumes map[string]string
	refresh volumeRefresh
	// pullFailed is when each image's last pull failed, for the pull
	// back-off.
	pullFailed map[string]time.Time
}

// enqueue wakes the pod's worker, starting one if needed.
func (k *Kubelet) enqueue(ctx context.Context, ref podRef) {
	k.mu.Lock()
	defer k.mu.Unlock()
	w, ok := k.workers[ref.uid]
	if !ok {
		if ctx.Err() != nil {
			return
		}
		w = &worker{ref: ref, wake: make(chan struct{}, 1), waiting: map[string]waiting{}, pullFailed: map[string]time.Time{}, probes: map[probeKey]context.CancelFunc{}}
		k.workers[ref.uid] = w
		k.wg.Go(func() { k.runWorker(ctx, w) })
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// runWorker syncs the pod on every wake-up and when a requested delay
// passes, until the pod is gone from both the API and the runtime.
func (k *Kubelet) runWorker(ctx context.Context, w *worker) {
	var timer <-chan time.Time
	resync := time.NewTicker(k.cfg.VolumeResyncPeriod)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer:
		case <-resync.C:
			w.refresh.due = true
		}
		timer = nil
		pod, err := k.pods.Pods(w.ref.namespace).Get(w.ref.name)
		if apierrors.IsNotFound(err) || (pod != nil && pod.UID != w.ref.uid) {
			pod = nil
		}
		again, done, err := k.syncPod(ctx, w, pod)
		if err != nil && ctx.Err() == nil {
			k.log.Warn("sync pod", "pod", w.ref, "err", err)
			if again == 0 {
				again = 2 * time.Second
			}
		}
		if done && k.retire(w) {
			return
		}
		if again > 0 {
			timer = time.After(again)
		}
	}
}

// retire removes a finished worker, unless a wake-up came in meanwhile.
func (k *Kubelet) retire(w *worker) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	select {
	case <-w.wake:
		w.wake <- struct{}{}
		return false
	default:
	}
	delete(k.workers, w.ref.uid)
	k.backoff.forget(string(w.ref.uid) + "/")
	k.tokens.forget(w.ref.uid)
	return true
}
