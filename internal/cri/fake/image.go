package fake

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeImageSize is every image's size in bytes.
const fakeImageSize = 1 << 20

// normalize names an image as containerd does, so "busybox" and
// "docker.io/library/busybox:latest" are one image.
func normalize(ref string) string {
	if strings.Contains(ref, "@") {
		return ref
	}
	name := ref
	if slash := strings.LastIndexByte(name, '/'); !strings.Contains(name[slash+1:], ":") {
		name += ":latest"
	}
	first, _, found := strings.Cut(name, "/")
	switch {
	case !found:
		name = "docker.io/library/" + name
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		name = "docker.io/" + name
	}
	return name
}

// addImage makes ref present; callers hold mu (or own r).
func (r *Runtime) addImage(ref string) *runtimeapi.Image {
	name := normalize(ref)
	if img, ok := r.images[name]; ok {
		return img
	}
	img := &runtimeapi.Image{Id: fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(name))), RepoTags: []string{name}, Size: fakeImageSize}
	r.images[name] = img
	return img
}

// image finds ref by name or ID; callers hold mu.
func (r *Runtime) image(ref string) (*runtimeapi.Image, bool) {
	if img, ok := r.images[normalize(ref)]; ok {
		return img, true
	}
	for _, img := range r.images {
		if img.Id == ref {
			return img, true
		}
	}
	return nil, false
}

// PullImage implements ImageServiceClient: the image is present at once.
func (r *Runtime) PullImage(_ context.Context, in *runtimeapi.PullImageRequest, _ ...grpc.CallOption) (*runtimeapi.PullImageResponse, error) {
	ref := in.GetImage().GetImage()
	if ref == "" {
		return nil, invalid("pull without an image")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.injected("PullImage", ref); err != nil {
		return nil, err
	}
	return &runtimeapi.PullImageResponse{ImageRef: r.addImage(ref).Id}, nil
}

// ImageStatus implements ImageServiceClient; a missing image is a nil
// Image, as in CRI.
func (r *Runtime) ImageStatus(_ context.Context, in *runtimeapi.ImageStatusRequest, _ ...grpc.CallOption) (*runtimeapi.ImageStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	img, _ := r.image(in.GetImage().GetImage())
	return &runtimeapi.ImageStatusResponse{Image: img}, nil
}

// ListImages implements ImageServiceClient.
func (r *Runtime) ListImages(context.Context, *runtimeapi.ListImagesRequest, ...grpc.CallOption) (*runtimeapi.ListImagesResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &runtimeapi.ListImagesResponse{}
	for _, img := range r.images {
		out.Images = append(out.Images, img)
	}
	return out, nil
}

// RemoveImage implements ImageServiceClient.
func (r *Runtime) RemoveImage(_ context.Context, in *runtimeapi.RemoveImageRequest, _ ...grpc.CallOption) (*runtimeapi.RemoveImageResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if img, ok := r.image(in.GetImage().GetImage()); ok {
		delete(r.images, img.RepoTags[0])
	}
	return &runtimeapi.RemoveImageResponse{}, nil
}

// ImageFsInfo implements ImageServiceClient: the images' total size on
// one filesystem.
func (r *Runtime) ImageFsInfo(context.Context, *runtimeapi.ImageFsInfoRequest, ...grpc.CallOption) (*runtimeapi.ImageFsInfoResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Now().UnixNano()
	usage := &runtimeapi.FilesystemUsage{Timestamp: now, FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: "/fake/images"},
		UsedBytes: &runtimeapi.UInt64Value{Value: uint64(len(r.images)) * fakeImageSize}, InodesUsed: &runtimeapi.UInt64Value{Value: uint64(len(r.images))}}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{usage}}, nil
}
