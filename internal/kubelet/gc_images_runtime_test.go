package kubelet

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/cri/fake"
)

// TestDeleteUnusedImages runs image GC over the fake runtime: only the
// image that no container uses, that is not pinned and that is older
// than the minimum age goes.
func TestDeleteUnusedImages(t *testing.T) {
	ctx := context.Background()
	now := t0
	rt, err := fake.New(fake.Config{Images: []string{"skiff.local/pause:1", "skiff.local/used:1", "skiff.local/unused:1"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "p", Uid: "u1", Namespace: "ns"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: sb.PodSandboxId, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "c"}, Image: &runtimeapi.ImageSpec{Image: "skiff.local/used:1"}}}); err != nil {
		t.Fatal(err)
	}
	k := &Kubelet{cfg: Config{Runtime: cri.NewClient(rt, rt), Now: func() time.Time { return now }, GC: GCPolicy{PinnedImages: []string{"skiff.local/pause:1"}}}, log: slog.Default()}
	if err := k.cfg.GC.setDefaults(); err != nil {
		t.Fatal(err)
	}

	freed, err := k.deleteUnusedImages(ctx, -1)
	if err != nil || freed != 0 {
		t.Fatalf("first pass freed %d (%v): images are younger than the minimum age", freed, err)
	}
	now = now.Add(3 * time.Minute)
	if freed, err = k.deleteUnusedImages(ctx, -1); err != nil || freed == 0 {
		t.Fatalf("freed %d, %v", freed, err)
	}
	imgs, err := rt.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, img := range imgs.Images {
		left = append(left, img.RepoTags...)
	}
	slices.Sort(left)
	if diff := cmp.Diff([]string{"skiff.local/pause:1", "skiff.local/used:1"}, left); diff != "" {
		t.Errorf("images left (-want +got):\n%s", diff)
	}
}
