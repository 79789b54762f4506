package kubelet

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// imageRecord is what the kubelet remembers of an image, as Kubernetes'
// image manager does: when it was first seen and last used by a
// container.
type imageRecord struct{ firstDetected, lastUsed time.Time }

// imageRecords are kept across GC passes; the zero value is ready.
type imageRecords struct {
	mu      sync.Mutex
	records map[string]*imageRecord
}

// imageInfo is one image as image GC weighs it.
type imageInfo struct {
	id     string
	size   int64
	rec    imageRecord
	inUse  bool
	pinned bool
}

// selectImages picks unused, unpinned images first seen at least minAge
// before now, least recently used first, until bytesToFree is reached
// (a negative amount: all of them). It returns their IDs and sizes'
// sum.
func selectImages(imgs []imageInfo, now time.Time, minAge time.Duration, bytesToFree int64) ([]string, int64) {
	imgs = slices.Clone(imgs)
	slices.SortStableFunc(imgs, func(a, b imageInfo) int {
		if c := a.rec.lastUsed.Compare(b.rec.lastUsed); c != 0 {
			return c
		}
		if c := a.rec.firstDetected.Compare(b.rec.firstDetected); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	var ids []string
	var freed int64
	for _, img := range imgs {
		if bytesToFree >= 0 && freed >= bytesToFree {
			break
		}
		if img.inUse || img.pinned || now.Sub(img.rec.firstDetected) < minAge {
			continue
		}
		ids = append(ids, img.id)
		freed += img.size
	}
	return ids, freed
}

// detectImages lists the runtime's images, records new ones and marks
// those any container uses (running or not) as used now.
func (k *Kubelet) detectImages(ctx context.Context) ([]imageInfo, error) {
	imgs, err := k.cfg.Runtime.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	cs, err := k.cfg.Runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	used := map[string]bool{}
	for _, c := range cs.Containers {
		used[c.ImageRef] = true
		used[c.GetImage().GetImage()] = true
	}
	now := k.cfg.Now()
	r := &k.images
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.records == nil {
		r.records = map[string]*imageRecord{}
	}
	seen := map[string]bool{}
	var out []imageInfo
	for _, img := range imgs.Images {
		seen[img.Id] = true
		rec, ok := r.records[img.Id]
		if !ok {
			rec = &imageRecord{firstDetected: now}
			r.records[img.Id] = rec
		}
		inUse := used[img.Id] || slices.ContainsFunc(img.RepoTags, func(t string) bool { return used[t] })
		if inUse {
			rec.lastUsed = now
		}
		pinned := img.Pinned || slices.ContainsFunc(img.RepoTags, func(t string) bool { return slices.Contains(k.cfg.GC.PinnedImages, t) })
		out = append(out, imageInfo{id: img.Id, size: int64(img.Size), rec: *rec, inUse: inUse, pinned: pinned})
	}
	for id := range r.records {
		if !seen[id] {
			delete(r.records, id)
		}
	}
	return out, nil
}

// garbageCollectImages frees the image filesystem down to the low
// threshold once it is above the high one; when not enough can be
// freed it emits FreeDiskSpaceFailed on the node and fails.
func (k *Kubelet) garbageCollectImages(ctx context.Context) error {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(k.imageFsPath(ctx), &fs); err != nil {
		return fmt.Errorf("image filesystem: %w", err)
	}
	capacity, available := int64(fs.Blocks)*fs.Bsize, int64(fs.Bavail)*fs.Bsize
	if capacity == 0 {
		return nil
	}
	usage := 100 - int(available*100/capacity)
	if usage < k.cfg.GC.ImageHighThresholdPercent {
		_, err := k.detectImages(ctx)
		return err
	}
	want := capacity*int64(100-k.cfg.GC.ImageLowThresholdPercent)/100 - available
	k.log.Info("image gc", "usage%", usage, "high%", k.cfg.GC.ImageHighThresholdPercent, "bytesToFree", want)
	freed, err := k.deleteUnusedImages(ctx, want)
	if err != nil {
		return err
	}
	if freed < want {
		msg := fmt.Sprintf("Failed to garbage collect required amount of images. Attempted to free %d bytes, but only found %d bytes eligible to free.", want, freed)
		k.recorder.Eventf(k.nodeRef(), corev1.EventTypeWarning, "FreeDiskSpaceFailed", "%s", msg)
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// deleteUnusedImages removes images as selectImages picks them for
// bytesToFree (negative: every eligible one) and returns the bytes
// freed.
func (k *Kubelet) deleteUnusedImages(ctx context.Context, bytesToFree int64) (int64, error) {
	imgs, err := k.detectImages(ctx)
	if err != nil {
		return 0, err
	}
	ids, _ := selectImages(imgs, k.cfg.Now(), k.cfg.GC.ImageMinAge, bytesToFree)
	sizes := map[string]int64{}
	for _, img := range imgs {
		sizes[img.id] = img.size
	}
	var freed int64
	for _, id := range ids {
		if _, err := k.cfg.Runtime.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: id}}); err != nil {
			return freed, fmt.Errorf("remove image %s: %w", id, err)
		}
		k.log.Info("image removed", "image", id, "bytes", sizes[id])
		freed += sizes[id]
	}
	return freed, nil
}
