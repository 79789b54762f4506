package kubelet

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/atomicwriter"
)

// volumeRefresh is a worker's record of when its pod's volumes were last
// written.
type volumeRefresh struct {
	// due is set by the worker's resync tick.
	due bool
	// meta is the pod's labels and annotations when last written, which
	// downwardAPI files may show.
	meta string
}

// refreshVolumes rewrites the pod's configMap, secret, downwardAPI and
// projected volumes, as the Kubernetes kubelet does on each periodic
// sync and when the pod's labels or annotations change. The atomic
// writer leaves unchanged volumes alone; subPath mounts bind a file of
// the old version and keep it, as in Kubernetes.
func (k *Kubelet) refreshVolumes(ctx context.Context, w *worker, f podFacts) {
	meta := fmt.Sprint(f.pod.Labels, f.pod.Annotations) // fmt sorts map keys
	r := &w.refresh
	if r.meta == "" {
		r.meta = meta // the volumes were just set up from this pod
	}
	if !r.due && meta == r.meta {
		return
	}
	r.due, r.meta = false, meta
	for _, v := range f.pod.Spec.Volumes {
		if !readOnlyVolume(f.pod, v.Name) {
			continue // emptyDir and hostPath are never rewritten
		}
		if err := k.refreshVolume(ctx, f, v); err != nil {
			k.log.Warn("refresh volume", "pod", w.ref, "volume", v.Name, "err", err)
			k.recorder.Eventf(f.pod, corev1.EventTypeWarning, "FailedMount", "MountVolume.SetUp failed for volume %q : %v", v.Name, err)
		}
	}
}

func (k *Kubelet) refreshVolume(ctx context.Context, f podFacts, v corev1.Volume) error {
	payload, err := k.projection(ctx, f, v.VolumeSource)
	if err != nil {
		return err
	}
	return atomicwriter.Write(k.volumeDir(f.pod.UID, v.Name), payload, k.cfg.Now())
}
