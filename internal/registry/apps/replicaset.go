package apps

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

var replicaSetBase = workload.Strategy{
	DefaultFn: func(obj runtime.Object) {
		spec := &obj.(*appsv1.ReplicaSet).Spec
		if spec.Replicas == nil {
			spec.Replicas = workload.Ptr[int32](1)
		}
		podspec.DefaultPodTemplate(&spec.Template)
	},
	ValidateFn: func(obj runtime.Object) field.ErrorList {
		spec := &obj.(*appsv1.ReplicaSet).Spec
		errs := validatePods(spec.Selector, &spec.Template, "deployment", "ReplicaSet")
		return append(errs, validateSizes(spec.Replicas, spec.MinReadySeconds, nil)...)
	},
	ValidateUpdateFn: func(obj, old runtime.Object) field.ErrorList {
		return selectorImmutable(obj.(*appsv1.ReplicaSet).Spec.Selector, old.(*appsv1.ReplicaSet).Spec.Selector)
	},
	ValidateStatusFn: validateReplicaSetStatus,
}

// replicaSetStrategy adds status.replicas to the selectable fields.
type replicaSetStrategy struct{ workload.Strategy }

var _ rest.FieldsStrategy = replicaSetStrategy{}

// SelectableFields returns metadata.name, metadata.namespace and status.replicas.
func (replicaSetStrategy) SelectableFields(obj runtime.Object) fields.Set {
	return workload.SelectableFields(obj, "status.replicas", strconv.Itoa(int(obj.(*appsv1.ReplicaSet).Status.Replicas)))
}

func validateReplicaSetStatus(obj, _ runtime.Object) field.ErrorList {
	st := &obj.(*appsv1.ReplicaSet).Status
	errs := workload.NonNegativeCounts(statusPath,
		workload.C("replicas", st.Replicas), workload.C("fullyLabeledReplicas", st.FullyLabeledReplicas),
		workload.C("readyReplicas", st.ReadyReplicas), workload.C("availableReplicas", st.AvailableReplicas),
		workload.C("observedGeneration", st.ObservedGeneration))
	errs = append(errs, workload.NonNegative(st.TerminatingReplicas, statusPath.Child("terminatingReplicas"))...)
	errs = append(errs, workload.AtMost(statusPath, int64(st.Replicas), aboveReplicas,
		workload.C("fullyLabeledReplicas", st.FullyLabeledReplicas), workload.C("readyReplicas", st.ReadyReplicas),
		workload.C("availableReplicas", st.AvailableReplicas))...)
	return append(errs, workload.AtMost(statusPath, int64(st.ReadyReplicas), aboveReady, workload.C("availableReplicas", st.AvailableReplicas))...)
}
