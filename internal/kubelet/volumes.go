package kubelet

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/atomicwriter"
)

// apiObjects reads ConfigMaps, Secrets and Services straight from the
// API server.
type apiObjects struct{ client kubernetes.Interface }

func (a apiObjects) configMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error) {
	return a.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a apiObjects) secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	return a.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a apiObjects) services(ctx context.Context, ns string) ([]corev1.Service, error) {
	l, err := a.client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (k *Kubelet) podDir(uid types.UID) string {
	return filepath.Join(k.cfg.RootDir, "pods", string(uid))
}

func (k *Kubelet) volumeDir(uid types.UID, name string) string {
	return filepath.Join(k.podDir(uid), "volumes", name)
}

// setupVolumes makes every volume of the pod present on the node and
// returns each one's host path by name.
func (k *Kubelet) setupVolumes(ctx context.Context, f podFacts) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range f.pod.Spec.Volumes {
		p, err := k.setupVolume(ctx, f, v)
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", v.Name, err)
		}
		out[v.Name] = p
	}
	return out, nil
}

func (k *Kubelet) setupVolume(ctx context.Context, f podFacts, v corev1.Volume) (string, error) {
	dir := k.volumeDir(f.pod.UID, v.Name)
	src := v.VolumeSource
	switch {
	case src.HostPath != nil:
		return src.HostPath.Path, checkHostPath(src.HostPath)
	case src.EmptyDir != nil:
		return dir, setupEmptyDir(dir, src.EmptyDir)
	case src.PersistentVolumeClaim != nil:
		return k.pvcPath(ctx, f.pod, src.PersistentVolumeClaim)
	}
	payload, err := k.projection(ctx, f, src)
	if err != nil {
		return "", err
	}
	return dir, atomicwriter.Write(dir, payload, k.cfg.Now())
}

func setupEmptyDir(dir string, e *corev1.EmptyDirVolumeSource) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		return err
	}
	if e.Medium != corev1.StorageMediumMemory || isMountPoint(dir) {
		return nil
	}
	opts := ""
	if e.SizeLimit != nil && !e.SizeLimit.IsZero() {
		opts = fmt.Sprintf("size=%d", e.SizeLimit.Value())
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		return fmt.Errorf("mount tmpfs: %w", err)
	}
	return os.Chmod(dir, 0o777)
}

// isMountPoint reports whether dir is on another device than its parent.
func isMountPoint(dir string) bool {
	var a, b syscall.Stat_t
	if syscall.Stat(dir, &a) != nil || syscall.Stat(filepath.Dir(dir), &b) != nil {
		return false
	}
	return a.Dev != b.Dev
}

// checkHostPath applies a hostPath volume's type, creating what the
// *OrCreate types ask for.
func checkHostPath(h *corev1.HostPathVolumeSource) error {
	t := corev1.HostPathUnset
	if h.Type != nil {
		t = *h.Type
	}
	switch t {
	case corev1.HostPathDirectoryOrCreate:
		return os.MkdirAll(h.Path, 0o755)
	case corev1.HostPathFileOrCreate:
		if err := os.MkdirAll(filepath.Dir(h.Path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(h.Path, os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return err
		}
		return f.Close()
	case corev1.HostPathUnset:
		return nil
	}
	info, err := os.Stat(h.Path)
	if err != nil {
		return fmt.Errorf("hostPath type check: %w", err)
	}
	mode := info.Mode()
	ok := map[corev1.HostPathType]bool{
		corev1.HostPathDirectory: mode.IsDir(),
		corev1.HostPathFile:      mode.IsRegular(),
		corev1.HostPathSocket:    mode&os.ModeSocket != 0,
		corev1.HostPathCharDev:   mode&os.ModeCharDevice != 0,
		corev1.HostPathBlockDev:  mode&os.ModeDevice != 0 && mode&os.ModeCharDevice == 0,
	}[t]
	if !ok {
		return fmt.Errorf("hostPath type check: %s is not a %s", h.Path, t)
	}
	return nil
}

// mounts are the CRI mounts of c's volumeMounts; subPath is resolved
// inside the volume (created if missing) and never leaves it.
func mounts(pod *corev1.Pod, c corev1.Container, vols map[string]string, env *envList) ([]*runtimeapi.Mount, error) {
	var out []*runtimeapi.Mount
	for _, m := range c.VolumeMounts {
		host, ok := vols[m.Name]
		if !ok {
			return nil, fmt.Errorf("volumeMount %s: no volume %q", m.MountPath, m.Name)
		}
		sub := m.SubPath
		if m.SubPathExpr != "" {
			sub = expandVars(m.SubPathExpr, env.lookup)
		}
		if sub != "" {
			clean := filepath.Clean(sub)
			if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
				return nil, fmt.Errorf("volumeMount %s: subPath %q leaves the volume", m.MountPath, sub)
			}
			host = filepath.Join(host, clean)
			if _, err := os.Lstat(host); os.IsNotExist(err) {
				if err := os.MkdirAll(host, 0o755); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, &runtimeapi.Mount{ContainerPath: m.MountPath, HostPath: host, Readonly: m.ReadOnly || readOnlyVolume(pod, m.Name)})
	}
	return out, nil
}

// readOnlyVolume reports the volume kinds Kubernetes always mounts
// read-only, their content being the kubelet's to write, and claims the
// pod asks to mount read-only.
func readOnlyVolume(pod *corev1.Pod, name string) bool {
	for _, v := range pod.Spec.Volumes {
		if v.Name == name {
			pvcRO := v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ReadOnly
			return pvcRO || v.ConfigMap != nil || v.Secret != nil || v.DownwardAPI != nil || v.Projected != nil
		}
	}
	return false
}

// cleanupPodDir unmounts what the kubelet mounted for the pod (tmpfs
// emptyDirs) and removes the pod's directory. Host paths are never
// below it.
func (k *Kubelet) cleanupPodDir(uid types.UID) error {
	dir := k.podDir(uid)
	for _, m := range mountsUnder(dir) {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s: %w", m, err)
		}
	}
	return os.RemoveAll(dir)
}

// mountsUnder lists mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && strings.HasPrefix(fs[4], dir+"/") {
			out = append([]string{fs[4]}, out...)
		}
	}
	return out
}

// isMissing reports a missing object an optional source may ignore.
func isMissing(err error, opt *bool) bool { return apierrors.IsNotFound(err) && optional(opt) }

// requestToken asks the TokenRequest API for a token of the pod's
// service account, bound to the pod.
func (k *Kubelet) requestToken(ctx context.Context, pod *corev1.Pod, p *corev1.ServiceAccountTokenProjection) (*authenticationv1.TokenRequest, error) {
	secs := expirationSeconds(p)
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: &secs,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if p.Audience != "" {
		tr.Spec.Audiences = []string{p.Audience}
	}
	resp, err := k.cfg.Client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for serviceaccount %s/%s: %w", pod.Namespace, sa, err)
	}
	return resp, nil
}
