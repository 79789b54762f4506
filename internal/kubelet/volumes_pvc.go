package kubelet

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pvcPath is the host directory of a persistentVolumeClaim volume: the
// hostPath or local path of the PersistentVolume the claim is bound to.
// Errors are worded as Kubernetes' volume manager words them; the pod
// stays ContainerCreating until the claim is bound.
func (k *Kubelet) pvcPath(ctx context.Context, pod *corev1.Pod, src *corev1.PersistentVolumeClaimVolumeSource) (string, error) {
	pvc, err := k.cfg.Client.CoreV1().PersistentVolumeClaims(pod.Namespace).Get(ctx, src.ClaimName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("error processing PVC %s/%s: failed to fetch PVC from API server: %w", pod.Namespace, src.ClaimName, err)
	}
	if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "" {
		return "", fmt.Errorf("error processing PVC %s/%s: PVC is not bound", pod.Namespace, src.ClaimName)
	}
	pv, err := k.cfg.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("error processing PVC %s/%s: failed to fetch PV %s from API server: %w", pod.Namespace, src.ClaimName, pvc.Spec.VolumeName, err)
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Name != pvc.Name || ref.Namespace != pvc.Namespace || (ref.UID != "" && ref.UID != pvc.UID) {
		return "", fmt.Errorf("error processing PVC %s/%s: the PV %s is not bound to it", pod.Namespace, src.ClaimName, pv.Name)
	}
	return pvSourcePath(pv)
}

// pvSourcePath checks and returns the path of a hostPath or local
// PersistentVolume, the kinds a single node can serve.
func pvSourcePath(pv *corev1.PersistentVolume) (string, error) {
	switch s := pv.Spec.PersistentVolumeSource; {
	case s.HostPath != nil:
		return s.HostPath.Path, checkHostPath(s.HostPath)
	case s.Local != nil:
		if _, err := os.Stat(s.Local.Path); err != nil {
			return "", fmt.Errorf("local volume %s: %w", pv.Name, err)
		}
		return s.Local.Path, nil
	}
	return "", fmt.Errorf("persistent volume %s: only hostPath and local volumes are supported", pv.Name)
}
