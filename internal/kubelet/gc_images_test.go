package kubelet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSelectImages(t *testing.T) {
	old := t0.Add(-time.Hour)
	img := func(id string, size int64, lastUsed time.Time) imageInfo {
		return imageInfo{id: id, size: size, rec: imageRecord{firstDetected: old, lastUsed: lastUsed}}
	}
	inUse, pinned, young := img("in-use", 100, t0), img("pinned", 100, time.Time{}), img("young", 100, time.Time{})
	inUse.inUse, pinned.pinned, young.rec.firstDetected = true, true, t0.Add(-time.Minute)
	imgs := []imageInfo{
		img("recent", 10, t0.Add(-time.Minute)), inUse, pinned, young,
		img("never-used", 20, time.Time{}), img("stale", 30, t0.Add(-30*time.Minute)),
	}
	for _, tc := range []struct {
		name      string
		toFree    int64
		want      []string
		wantFreed int64
	}{
		{"least recently used first, until enough is freed", 40, []string{"never-used", "stale"}, 50},
		{"everything eligible when asked for all", -1, []string{"never-used", "stale", "recent"}, 60},
		{"nothing to free", 0, nil, 0},
		{"more than there is", 1000, []string{"never-used", "stale", "recent"}, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, freed := selectImages(imgs, t0, 2*time.Minute, tc.toFree)
			if diff := cmp.Diff(tc.want, got); diff != "" || freed != tc.wantFreed {
				t.Errorf("freed %d (want %d); images (-want +got):\n%s", freed, tc.wantFreed, diff)
			}
		})
	}
}
