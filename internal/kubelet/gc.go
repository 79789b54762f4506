package kubelet

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// GCPolicy configures container and image garbage collection; zero
// values take Kubernetes' defaults.
type GCPolicy struct {
	// ContainerPeriod is how often dead containers are collected.
	// Default 1m.
	ContainerPeriod time.Duration
	// ImagePeriod is how often image GC runs. Default 5m.
	ImagePeriod time.Duration
	// ImageHighThresholdPercent is the image filesystem usage at which
	// image GC starts; it frees down to ImageLowThresholdPercent.
	// Defaults 85 and 80.
	ImageHighThresholdPercent, ImageLowThresholdPercent int
	// ImageMinAge is how long an unused image is kept after it was
	// first seen. Default 2m.
	ImageMinAge time.Duration
	// PinnedImages are never removed: the sandbox (pause) image.
	PinnedImages []string
}

func (p *GCPolicy) setDefaults() error {
	if p.ContainerPeriod == 0 {
		p.ContainerPeriod = time.Minute
	}
	if p.ImagePeriod == 0 {
		p.ImagePeriod = 5 * time.Minute
	}
	if p.ImageHighThresholdPercent == 0 {
		p.ImageHighThresholdPercent = 85
	}
	if p.ImageLowThresholdPercent == 0 {
		p.ImageLowThresholdPercent = 80
	}
	if p.ImageMinAge == 0 {
		p.ImageMinAge = 2 * time.Minute
	}
	if p.ImageHighThresholdPercent > 100 || p.ImageLowThresholdPercent < 0 || p.ImageLowThresholdPercent > p.ImageHighThresholdPercent {
		return fmt.Errorf("kubelet: image GC thresholds %d%% (low) and %d%% (high): want 0 <= low <= high <= 100", p.ImageLowThresholdPercent, p.ImageHighThresholdPercent)
	}
	return nil
}

// gcLoop collects dead containers every ContainerPeriod, noting which
// images are in use each time, and runs image GC every ImagePeriod.
func (k *Kubelet) gcLoop(ctx context.Context) {
	containers := time.NewTicker(k.cfg.GC.ContainerPeriod)
	defer containers.Stop()
	images := time.NewTicker(k.cfg.GC.ImagePeriod)
	defer images.Stop()
	var containerFailed, imageFailed bool
	for {
		select {
		case <-ctx.Done():
			return
		case <-containers.C:
			containerFailed = k.reportGC(ctx, "ContainerGCFailed", containerFailed, k.garbageCollectContainers(ctx, false))
			if _, err := k.detectImages(ctx); err != nil && ctx.Err() == nil {
				k.log.Warn("detect images", "err", err)
			}
		case <-images.C:
			imageFailed = k.reportGC(ctx, "ImageGCFailed", imageFailed, k.garbageCollectImages(ctx))
		}
	}
}

// reportGC logs a GC error and, as Kubernetes does, makes it a node
// event (reason) when the previous pass failed too. It returns whether
// this pass failed.
func (k *Kubelet) reportGC(ctx context.Context, reason string, failedBefore bool, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	k.log.Warn("garbage collection", "reason", reason, "err", err)
	if failedBefore {
		k.recorder.Eventf(k.nodeRef(), corev1.EventTypeWarning, reason, "%v", err)
	}
	return true
}

// nodeRef is the node, as the object of the kubelet's node events.
func (k *Kubelet) nodeRef() *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Node", Name: k.cfg.NodeName, UID: types.UID(k.cfg.NodeName)}
}
