package kubelet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// maxTerminationMessage is how much of a termination message Kubernetes
// keeps.
const maxTerminationMessage = 4096

// terminationMessageMount gives one container instance an empty file at
// its terminationMessagePath, which the kubelet reads when it exits.
func (k *Kubelet) terminationMessageMount(uid types.UID, c corev1.Container, attempt uint32) (*runtimeapi.Mount, error) {
	if c.TerminationMessagePath == "" {
		return nil, nil
	}
	dir := filepath.Join(k.podDir(uid), "containers", c.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	host := filepath.Join(dir, fmt.Sprintf("%d-termination-log", attempt))
	f, err := os.OpenFile(host, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	f.Close()
	return &runtimeapi.Mount{ContainerPath: c.TerminationMessagePath, HostPath: host}, nil
}

// setTerminationMessage fills an exited instance's message from the file
// the container wrote at its terminationMessagePath, as the kubelet does;
// found through the instance's own mounts.
func setTerminationMessage(st *corev1.ContainerState, c corev1.Container, inst *runtimeapi.ContainerStatus) {
	if st.Terminated == nil || st.Terminated.Message != "" || c.TerminationMessagePath == "" {
		return
	}
	for _, m := range inst.GetMounts() {
		if m.ContainerPath != c.TerminationMessagePath {
			continue
		}
		f, err := os.Open(m.HostPath)
		if err != nil {
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, maxTerminationMessage))
		st.Terminated.Message = string(b)
		return
	}
}
