package kubelet

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/skiff-sh/skiff/internal/kubelet/atomicwriter"
)

// rootCAConfigMap is the ConfigMap Kubernetes publishes in every
// namespace with the cluster CA; when the API has none, the kubelet
// serves its own CA (Config.RootCA) under that name.
const rootCAConfigMap = "kube-root-ca.crt"

// projection computes the files of a configMap, secret, downwardAPI or
// projected volume.
func (k *Kubelet) projection(ctx context.Context, f podFacts, src corev1.VolumeSource) (map[string]atomicwriter.File, error) {
	out := map[string]atomicwriter.File{}
	var err error
	switch {
	case src.ConfigMap != nil:
		s := src.ConfigMap
		err = k.addConfigMap(ctx, f, out, &corev1.ConfigMapProjection{LocalObjectReference: s.LocalObjectReference, Items: s.Items, Optional: s.Optional}, fileMode(s.DefaultMode))
	case src.Secret != nil:
		s := src.Secret
		err = k.addSecret(ctx, f, out, &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: s.SecretName}, Items: s.Items, Optional: s.Optional}, fileMode(s.DefaultMode))
	case src.DownwardAPI != nil:
		err = addDownwardAPI(f, out, src.DownwardAPI.Items, fileMode(src.DownwardAPI.DefaultMode))
	case src.Projected != nil:
		err = k.addProjected(ctx, f, out, src.Projected)
	default:
		err = fmt.Errorf("unsupported volume type")
	}
	return out, err
}

func (k *Kubelet) addProjected(ctx context.Context, f podFacts, out map[string]atomicwriter.File, p *corev1.ProjectedVolumeSource) error {
	mode := fileMode(p.DefaultMode)
	for _, s := range p.Sources {
		var err error
		switch {
		case s.ConfigMap != nil:
			err = k.addConfigMap(ctx, f, out, s.ConfigMap, mode)
		case s.Secret != nil:
			err = k.addSecret(ctx, f, out, s.Secret, mode)
		case s.DownwardAPI != nil:
			err = addDownwardAPI(f, out, s.DownwardAPI.Items, mode)
		case s.ServiceAccountToken != nil:
			var tok string
			if tok, err = k.tokens.get(ctx, f.pod, s.ServiceAccountToken, k.requestToken); err == nil {
				out[s.ServiceAccountToken.Path] = atomicwriter.File{Data: []byte(tok), Mode: mode}
			}
		default:
			err = fmt.Errorf("unsupported projected source")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// fileMode is a volume's defaultMode, 0644 when unset.
func fileMode(m *int32) os.FileMode {
	if m == nil {
		return 0o644
	}
	return os.FileMode(*m)
}

func itemMode(it corev1.KeyToPath, def os.FileMode) os.FileMode {
	if it.Mode != nil {
		return os.FileMode(*it.Mode)
	}
	return def
}

func (k *Kubelet) addConfigMap(ctx context.Context, f podFacts, out map[string]atomicwriter.File, p *corev1.ConfigMapProjection, mode os.FileMode) error {
	cm, err := apiObjects{k.cfg.Client}.configMap(ctx, f.pod.Namespace, p.Name)
	if apierrors.IsNotFound(err) && p.Name == rootCAConfigMap && len(k.cfg.RootCA) > 0 {
		cm, err = &corev1.ConfigMap{Data: map[string]string{"ca.crt": string(k.cfg.RootCA)}}, nil
	}
	if isMissing(err, p.Optional) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configmap %s/%s: %w", f.pod.Namespace, p.Name, err)
	}
	data := map[string][]byte{}
	for key, v := range cm.Data {
		data[key] = []byte(v)
	}
	for key, v := range cm.BinaryData {
		data[key] = v
	}
	return addKeys(out, data, p.Items, mode, optional(p.Optional), "configmap "+p.Name)
}

func (k *Kubelet) addSecret(ctx context.Context, f podFacts, out map[string]atomicwriter.File, p *corev1.SecretProjection, mode os.FileMode) error {
	s, err := apiObjects{k.cfg.Client}.secret(ctx, f.pod.Namespace, p.Name)
	if isMissing(err, p.Optional) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secret %s/%s: %w", f.pod.Namespace, p.Name, err)
	}
	return addKeys(out, s.Data, p.Items, mode, optional(p.Optional), "secret "+p.Name)
}

// addKeys adds every key as a file of its name, or only the items, each
// at its path.
func addKeys(out map[string]atomicwriter.File, data map[string][]byte, items []corev1.KeyToPath, mode os.FileMode, opt bool, what string) error {
	if len(items) == 0 {
		for key, v := range data {
			out[key] = atomicwriter.File{Data: v, Mode: mode}
		}
		return nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if opt {
				continue
			}
			return fmt.Errorf("key %s not in %s", it.Key, what)
		}
		out[it.Path] = atomicwriter.File{Data: v, Mode: itemMode(it, mode)}
	}
	return nil
}

func addDownwardAPI(f podFacts, out map[string]atomicwriter.File, items []corev1.DownwardAPIVolumeFile, mode os.FileMode) error {
	for _, it := range items {
		var v string
		var err error
		switch {
		case it.FieldRef != nil:
			v, err = fieldValue(f, it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			v, err = resourceValue(f, findContainer(f.pod, it.ResourceFieldRef.ContainerName), it.ResourceFieldRef)
		}
		if err != nil {
			return fmt.Errorf("downwardAPI %s: %w", it.Path, err)
		}
		m := mode
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		out[it.Path] = atomicwriter.File{Data: []byte(v), Mode: m}
	}
	return nil
}
