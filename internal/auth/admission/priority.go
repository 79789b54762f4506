package admission

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/registry/scheduling"
)

// PriorityClassLookup returns a PriorityClass by name, or a NotFound error.
type PriorityClassLookup func(ctx context.Context, name string) (*schedulingv1.PriorityClass, error)

// PriorityClassLister lists every PriorityClass.
type PriorityClassLister func(ctx context.Context) ([]schedulingv1.PriorityClass, error)

// Priority is Kubernetes' plugin of the same name. A new pod gets
// spec.priority and spec.preemptionPolicy from the PriorityClass it
// names, or from the globalDefault class when it names none (priority 0
// and PreemptLowerPriority when there is no default). A pod naming an
// unknown class, or giving a priority or policy other than its class's,
// is forbidden. system-cluster-critical and system-node-critical resolve
// to their fixed values even when their objects do not exist. It also
// keeps a second PriorityClass from becoming the globalDefault.
type Priority struct {
	Get  PriorityClassLookup
	List PriorityClassLister
}

// Admit implements generic.Admission.
func (p Priority) Admit(ctx context.Context, a *generic.Attributes) error {
	if a.Subresource != "" || (a.Operation != generic.Create && a.Operation != generic.Update) {
		return nil
	}
	switch {
	case a.Resource.Group == "" && a.Resource.Resource == "pods":
		return p.admitPod(ctx, a)
	case a.Resource.Group == schedulingv1.GroupName && a.Resource.Resource == "priorityclasses":
		return p.admitClass(ctx, a)
	}
	return nil
}

func (p Priority) admitPod(ctx context.Context, a *generic.Attributes) error {
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	if a.Operation == generic.Update {
		// Priority and policy are set on create and immutable: an update
		// that leaves them out keeps the stored ones.
		if old, ok := a.Old.(*corev1.Pod); ok {
			pod.Spec.Priority = cmpOr(pod.Spec.Priority, old.Spec.Priority)
			pod.Spec.PreemptionPolicy = cmpOr(pod.Spec.PreemptionPolicy, old.Spec.PreemptionPolicy)
		}
		return nil
	}
	name, value, policy, err := p.resolve(ctx, a, pod.Spec.PriorityClassName)
	if err != nil {
		return err
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != value {
		return forbidden(a, "the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, value)
	}
	if policy != nil && pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != *policy {
		return forbidden(a, "the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, *policy)
	}
	pod.Spec.PriorityClassName, pod.Spec.Priority = name, &value
	if policy != nil {
		pod.Spec.PreemptionPolicy = policy
	}
	return nil
}

// resolve returns the class name, priority and preemption policy for a
// pod naming class (empty: the default).
func (p Priority) resolve(ctx context.Context, a *generic.Attributes, class string) (string, int32, *corev1.PreemptionPolicy, error) {
	if class == "" {
		def, err := p.defaultClass(ctx)
		if err != nil || def == nil {
			policy := corev1.PreemptLowerPriority
			return "", 0, &policy, err
		}
		return def.Name, def.Value, def.PreemptionPolicy, nil
	}
	pc, err := p.Get(ctx, class)
	switch {
	case err == nil:
		return class, pc.Value, pc.PreemptionPolicy, nil
	case !apierrors.IsNotFound(err):
		return "", 0, nil, fmt.Errorf("get PriorityClass %s: %w", class, err)
	}
	if value, ok := scheduling.SystemClasses[class]; ok {
		policy := corev1.PreemptLowerPriority
		return class, value, &policy, nil
	}
	return "", 0, nil, forbidden(a, "no PriorityClass with name %v was found", class)
}

// defaultClass returns the globalDefault class (the lowest valued one if
// there are several), or nil.
func (p Priority) defaultClass(ctx context.Context) (*schedulingv1.PriorityClass, error) {
	classes, err := p.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list PriorityClasses: %w", err)
	}
	var def *schedulingv1.PriorityClass
	for i := range classes {
		if c := &classes[i]; c.GlobalDefault && (def == nil || c.Value < def.Value) {
			def = c
		}
	}
	return def, nil
}

func (p Priority) admitClass(ctx context.Context, a *generic.Attributes) error {
	pc, ok := a.Object.(*schedulingv1.PriorityClass)
	if !ok || !pc.GlobalDefault {
		return nil
	}
	def, err := p.defaultClass(ctx)
	if err != nil || def == nil || def.Name == pc.Name {
		return err
	}
	return forbidden(a, "PriorityClass %v is already marked as default. Only one default can exist", def.Name)
}

func forbidden(a *generic.Attributes, format string, args ...any) error {
	return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, fmt.Errorf(format, args...))
}

// cmpOr returns v, or fallback when v is nil.
func cmpOr[T any](v, fallback *T) *T {
	if v != nil {
		return v
	}
	return fallback
}

// NewPriority reads PriorityClasses from st: names from the watch cache,
// then from etcd when the cache lags a class created a moment ago.
func NewPriority(st *generic.Store) Priority {
	get := func(ctx context.Context, name string) (*schedulingv1.PriorityClass, error) {
		obj, err := st.Get(ctx, "", name, "0")
		if err != nil {
			obj, err = st.Get(ctx, "", name, "")
		}
		if err != nil {
			return nil, err
		}
		return obj.(*schedulingv1.PriorityClass), nil
	}
	list := func(ctx context.Context) ([]schedulingv1.PriorityClass, error) {
		obj, err := st.List(ctx, "", generic.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, err
		}
		return obj.(*schedulingv1.PriorityClassList).Items, nil
	}
	return Priority{Get: get, List: list}
}
