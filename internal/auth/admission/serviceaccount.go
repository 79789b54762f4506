package admission

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilrand "k8s.io/apimachinery/pkg/util/rand"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// ServiceAccountMountPath is where in-cluster clients look for their
// token, CA and namespace.
const ServiceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// tokenExpirationSeconds is what Kubernetes asks for: an hour and a bit,
// so the kubelet's refresh at 80% keeps the token valid.
const tokenExpirationSeconds = 3607

// ServiceAccountLookup returns a service account, or a NotFound error.
type ServiceAccountLookup func(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)

// ServiceAccount does for new pods what Kubernetes' plugin of the same
// name does: serviceAccountName defaults to "default", and unless the pod
// or its account turns automounting off, every container gets the
// kube-api-access-xxxxx projected volume (bound token, cluster CA,
// namespace) at ServiceAccountMountPath. Unlike Kubernetes it admits a
// pod whose account does not exist yet (a namespace created a moment
// ago); the kubelet then cannot mount the token until it does.
type ServiceAccount struct {
	Get ServiceAccountLookup
}

// Admit implements generic.Admission.
func (s ServiceAccount) Admit(ctx context.Context, a *generic.Attributes) error {
	if a.Operation != generic.Create || a.Subresource != "" || a.Resource.Group != "" || a.Resource.Resource != "pods" {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || pod.Annotations[corev1.MirrorPodAnnotationKey] != "" {
		return nil
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = "default"
	}
	automount := pod.Spec.AutomountServiceAccountToken
	if automount == nil {
		sa, err := s.Get(ctx, a.Namespace, pod.Spec.ServiceAccountName)
		switch {
		case err == nil:
			automount = sa.AutomountServiceAccountToken
		case !apierrors.IsNotFound(err):
			return err
		}
	}
	if (automount != nil && !*automount) || mountsServiceAccountPath(pod) {
		return nil
	}
	name := "kube-api-access-" + utilrand.String(5)
	pod.Spec.Volumes = append(pod.Spec.Volumes, serviceAccountVolume(name))
	mount := corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: ServiceAccountMountPath}
	for i := range pod.Spec.InitContainers {
		pod.Spec.InitContainers[i].VolumeMounts = append(pod.Spec.InitContainers[i].VolumeMounts, mount)
	}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].VolumeMounts = append(pod.Spec.Containers[i].VolumeMounts, mount)
	}
	return nil
}

func mountsServiceAccountPath(pod *corev1.Pod) bool {
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, m := range c.VolumeMounts {
				if m.MountPath == ServiceAccountMountPath {
					return true
				}
			}
		}
	}
	return false
}

func serviceAccountVolume(name string) corev1.Volume {
	expiry, mode := int64(tokenExpirationSeconds), int32(0o644)
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: &mode,
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: &expiry, Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
				Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
			}}}},
		},
	}}}
}
