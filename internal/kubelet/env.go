package kubelet

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podFacts are what fieldRef and resourceFieldRef read besides the pod
// spec: the addresses known at container start and the node's
// allocatable resources (the default for unset limits).
type podFacts struct {
	pod           *corev1.Pod
	podIP, hostIP string
	allocatable   func() corev1.ResourceList
}

// objectSource reads the ConfigMaps and Secrets env and volumes refer to.
type objectSource interface {
	configMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	services(ctx context.Context, namespace string) ([]corev1.Service, error)
}

// envList is an ordered environment in which a later definition of a
// name replaces the earlier value in place.
type envList struct {
	names  []string
	values map[string]string
}

func (l *envList) set(name, value string) {
	if l.values == nil {
		l.values = map[string]string{}
	}
	if _, ok := l.values[name]; !ok {
		l.names = append(l.names, name)
	}
	l.values[name] = value
}

func (l *envList) lookup(name string) (string, bool) {
	v, ok := l.values[name]
	return v, ok
}

// resolveEnv computes a container's environment as Kubernetes does:
// envFrom sources first, then env in order, each value expanded with
// the variables defined before it or by a Service; last the Service
// variables no container definition overrode. A missing non-optional
// ConfigMap, Secret or key is an error (CreateContainerConfigError).
func resolveEnv(ctx context.Context, src objectSource, f podFacts, c corev1.Container) (*envList, error) {
	svcEnv, err := serviceEnv(ctx, src, f.pod)
	if err != nil {
		return nil, fmt.Errorf("service environment: %w", err)
	}
	env := &envList{}
	lookup := func(name string) (string, bool) {
		if v, ok := env.lookup(name); ok {
			return v, ok
		}
		v, ok := svcEnv[name]
		return v, ok
	}
	for _, from := range c.EnvFrom {
		data, err := envFromData(ctx, src, f.pod.Namespace, from)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			env.set(from.Prefix+k, data[k])
		}
	}
	for _, e := range c.Env {
		v := expandVars(e.Value, lookup)
		if e.ValueFrom != nil {
			var ok bool
			var err error
			if v, ok, err = envValueFrom(ctx, src, f, c, e.ValueFrom); err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			} else if !ok {
				continue // optional and missing
			}
		}
		env.set(e.Name, v)
	}
	for _, k := range slices.Sorted(maps.Keys(svcEnv)) {
		if _, ok := env.lookup(k); !ok {
			env.set(k, svcEnv[k])
		}
	}
	return env, nil
}

func envFromData(ctx context.Context, src objectSource, ns string, from corev1.EnvFromSource) (map[string]string, error) {
	switch {
	case from.ConfigMapRef != nil:
		cm, err := src.configMap(ctx, ns, from.ConfigMapRef.Name)
		if apierrors.IsNotFound(err) && optional(from.ConfigMapRef.Optional) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("configmap %s/%s: %w", ns, from.ConfigMapRef.Name, err)
		}
		return cm.Data, nil
	case from.SecretRef != nil:
		s, err := src.secret(ctx, ns, from.SecretRef.Name)
		if apierrors.IsNotFound(err) && optional(from.SecretRef.Optional) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("secret %s/%s: %w", ns, from.SecretRef.Name, err)
		}
		out := make(map[string]string, len(s.Data))
		for k, v := range s.Data {
			out[k] = string(v)
		}
		return out, nil
	}
	return nil, nil
}

// envValueFrom resolves one valueFrom; ok is false for a missing
// optional reference.
func envValueFrom(ctx context.Context, src objectSource, f podFacts, c corev1.Container, from *corev1.EnvVarSource) (string, bool, error) {
	ns := f.pod.Namespace
	switch {
	case from.FieldRef != nil:
		v, err := fieldValue(f, from.FieldRef.FieldPath)
		return v, err == nil, err
	case from.ResourceFieldRef != nil:
		v, err := resourceValue(f, c, from.ResourceFieldRef)
		return v, err == nil, err
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, err := src.configMap(ctx, ns, ref.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("configmap %s/%s: %w", ns, ref.Name, err)
		}
		v, ok := cm.Data[ref.Key]
		if !ok && !optional(ref.Optional) {
			return "", false, fmt.Errorf("key %s not in configmap %s/%s", ref.Key, ns, ref.Name)
		}
		return v, ok, nil
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		s, err := src.secret(ctx, ns, ref.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("secret %s/%s: %w", ns, ref.Name, err)
		}
		v, ok := s.Data[ref.Key]
		if !ok && !optional(ref.Optional) {
			return "", false, fmt.Errorf("key %s not in secret %s/%s", ref.Key, ns, ref.Name)
		}
		return string(v), ok, nil
	}
	return "", false, fmt.Errorf("valueFrom has no source")
}

func optional(b *bool) bool { return b != nil && *b }

// fieldValue reads a downward-API field path of the pod.
func fieldValue(f podFacts, path string) (string, error) {
	pod := f.pod
	if key, ok := subscript(path, "metadata.labels"); ok {
		return pod.Labels[key], nil
	}
	if key, ok := subscript(path, "metadata.annotations"); ok {
		return pod.Annotations[key], nil
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs":
		return f.hostIP, nil
	case "status.podIP", "status.podIPs":
		return f.podIP, nil
	}
	return "", fmt.Errorf("unsupported fieldPath %q", path)
}

// subscript splits "metadata.labels['key']" into its key.
func subscript(path, field string) (string, bool) {
	rest, ok := strings.CutPrefix(path, field+"['")
	if !ok || !strings.HasSuffix(rest, "']") {
		return "", false
	}
	return strings.TrimSuffix(rest, "']"), true
}

// formatMap renders labels or annotations as the downward API does:
// sorted key="quoted value" lines.
func formatMap(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + "=" + strconv.Quote(m[k]))
	}
	return b.String()
}

// resourceValue reads requests.* or limits.* of a container, divided by
// the divisor and rounded up; an unset limit is the node's allocatable.
func resourceValue(f podFacts, c corev1.Container, ref *corev1.ResourceFieldSelector) (string, error) {
	if ref.ContainerName != "" {
		c = findContainer(f.pod, ref.ContainerName)
	}
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported resource %q", ref.Resource)
	}
	rn := corev1.ResourceName(name)
	q, set := c.Resources.Limits[rn]
	if kind == "requests" {
		if q, set = c.Resources.Requests[rn]; !set {
			q, set = c.Resources.Limits[rn] // a request defaults to the limit
		}
	}
	if !set && kind == "limits" {
		q = f.allocatable()[rn]
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if rn == corev1.ResourceCPU {
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	}
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
}

func findContainer(pod *corev1.Pod, name string) corev1.Container {
	for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	return corev1.Container{}
}
