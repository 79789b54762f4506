package admission

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// RuntimeClassLookup returns a RuntimeClass by name, or a NotFound error.
type RuntimeClassLookup func(ctx context.Context, name string) (*nodev1.RuntimeClass, error)

// RuntimeClass is Kubernetes' plugin of the same name. A new pod naming
// a RuntimeClass gets the class's overhead as spec.overhead and its
// scheduling constraints: nodeSelector merged into the pod's, tolerations
// merged with the pod's. A pod naming a missing class, setting another
// overhead, conflicting with the class's node selector, or setting an
// overhead without a class that defines one is forbidden.
type RuntimeClass struct {
	Get RuntimeClassLookup
}

// Admit implements generic.Admission.
func (r RuntimeClass) Admit(ctx context.Context, a *generic.Attributes) error {
	if a.Operation != generic.Create || a.Subresource != "" || a.Resource.Group != "" || a.Resource.Resource != "pods" {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	var rc *nodev1.RuntimeClass
	if name := pod.Spec.RuntimeClassName; name != nil {
		var err error
		rc, err = r.Get(ctx, *name)
		switch {
		case apierrors.IsNotFound(err):
			return forbidden(a, "pod rejected: RuntimeClass %q not found", *name)
		case err != nil:
			return fmt.Errorf("get RuntimeClass %s: %w", *name, err)
		}
	}
	if err := setOverhead(a, pod, rc); err != nil {
		return err
	}
	return setScheduling(a, pod, rc)
}

func setOverhead(a *generic.Attributes, pod *corev1.Pod, rc *nodev1.RuntimeClass) error {
	if rc == nil || rc.Overhead == nil {
		if len(pod.Spec.Overhead) > 0 {
			return forbidden(a, "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead")
		}
		return nil
	}
	if len(pod.Spec.Overhead) > 0 && !apiequality.Semantic.DeepEqual(pod.Spec.Overhead, rc.Overhead.PodFixed) {
		return forbidden(a, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")
	}
	pod.Spec.Overhead = rc.Overhead.PodFixed.DeepCopy()
	return nil
}

func setScheduling(a *generic.Attributes, pod *corev1.Pod, rc *nodev1.RuntimeClass) error {
	if rc == nil || rc.Scheduling == nil {
		return nil
	}
	for key, want := range rc.Scheduling.NodeSelector {
		if have, ok := pod.Spec.NodeSelector[key]; ok && have != want {
			return forbidden(a, "conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; pod.spec.nodeSelector[%s] = %s", key, want, key, have)
		}
	}
	for key, v := range rc.Scheduling.NodeSelector {
		if pod.Spec.NodeSelector == nil {
			pod.Spec.NodeSelector = map[string]string{}
		}
		pod.Spec.NodeSelector[key] = v
	}
	pod.Spec.Tolerations = mergeTolerations(pod.Spec.Tolerations, rc.Scheduling.Tolerations)
	return nil
}

// mergeTolerations returns the tolerations of both lists in order,
// leaving out each one another covers (the first of equal ones stays).
func mergeTolerations(first, second []corev1.Toleration) []corev1.Toleration {
	all := append(append([]corev1.Toleration{}, first...), second...)
	var out []corev1.Toleration
	for i, t := range all {
		if !redundant(t, out, all[i+1:]) {
			out = append(out, t)
		}
	}
	return out
}

// redundant reports whether t is covered by a kept toleration, or by a
// later different one.
func redundant(t corev1.Toleration, kept, later []corev1.Toleration) bool {
	for _, k := range kept {
		if covers(k, t) {
			return true
		}
	}
	for _, l := range later {
		if !apiequality.Semantic.DeepEqual(l, t) && covers(l, t) {
			return true
		}
	}
	return false
}

// covers reports whether s tolerates every taint t does.
func covers(s, t corev1.Toleration) bool {
	switch {
	case apiequality.Semantic.DeepEqual(s, t):
		return true
	case t.Key != s.Key && (s.Key != "" || s.Operator != corev1.TolerationOpExists):
		return false
	case s.Effect != "" && s.Effect != t.Effect:
		return false
	case s.Effect == corev1.TaintEffectNoExecute && s.TolerationSeconds != nil &&
		(t.TolerationSeconds == nil || *t.TolerationSeconds > *s.TolerationSeconds):
		return false
	}
	switch s.Operator {
	case corev1.TolerationOpEqual, "":
		return t.Operator == corev1.TolerationOpEqual && t.Value == s.Value
	case corev1.TolerationOpExists:
		return true
	}
	return false
}

// NewRuntimeClass reads RuntimeClasses from st: from the watch cache,
// then from etcd when the cache lags a class created a moment ago.
func NewRuntimeClass(st *generic.Store) RuntimeClass {
	return RuntimeClass{Get: func(ctx context.Context, name string) (*nodev1.RuntimeClass, error) {
		obj, err := st.Get(ctx, "", name, "0")
		if err != nil {
			obj, err = st.Get(ctx, "", name, "")
		}
		if err != nil {
			return nil, err
		}
		return obj.(*nodev1.RuntimeClass), nil
	}}
}
