package apps

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

var statefulSetStrategy = workload.Strategy{
	// Pod hostnames are the set's name plus an ordinal: a DNS label.
	NameFn:           apivalidation.NameIsDNSLabel,
	DefaultFn:        defaultStatefulSet,
	ValidateFn:       validateStatefulSet,
	ValidateUpdateFn: validateStatefulSetUpdate,
	ValidateStatusFn: validateStatefulSetStatus,
}

func defaultStatefulSet(obj runtime.Object) {
	spec := &obj.(*appsv1.StatefulSet).Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	us := &spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if us.RollingUpdate == nil {
			us.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if us.Type == appsv1.RollingUpdateStatefulSetStrategyType && us.RollingUpdate != nil && us.RollingUpdate.Partition == nil {
		us.RollingUpdate.Partition = workload.Ptr[int32](0)
	}
	defaultRetention(spec)
	if spec.Replicas == nil {
		spec.Replicas = workload.Ptr[int32](1)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = workload.Ptr[int32](10)
	}
	podspec.DefaultPodTemplate(&spec.Template)
	for i := range spec.VolumeClaimTemplates {
		c := &spec.VolumeClaimTemplates[i]
		podspec.DefaultClaimSpec(&c.Spec)
		if c.Status.Phase == "" {
			c.Status.Phase = corev1.ClaimPending
		}
	}
}

func defaultRetention(spec *appsv1.StatefulSetSpec) {
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	p := spec.PersistentVolumeClaimRetentionPolicy
	if p.WhenDeleted == "" {
		p.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if p.WhenScaled == "" {
		p.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
}

func validateStatefulSet(obj runtime.Object) field.ErrorList {
	spec := &obj.(*appsv1.StatefulSet).Spec
	errs := validatePods(spec.Selector, templateWithClaims(spec), "statefulset", "StatefulSet")
	errs = append(errs, validateSizes(spec.Replicas, spec.MinReadySeconds, spec.RevisionHistoryLimit)...)
	switch spec.PodManagementPolicy {
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	case "":
		errs = append(errs, field.Required(specPath.Child("podManagementPolicy"), ""))
	default:
		errs = append(errs, field.Invalid(specPath.Child("podManagementPolicy"), spec.PodManagementPolicy, "must be 'OrderedReady' or 'Parallel'"))
	}
	errs = append(errs, validateStatefulSetUpdateStrategy(&spec.UpdateStrategy, specPath.Child("updateStrategy"))...)
	if spec.ServiceName != "" {
		for _, msg := range apivalidation.NameIsDNS1035Label(spec.ServiceName, false) {
			errs = append(errs, field.Invalid(specPath.Child("serviceName"), spec.ServiceName, msg))
		}
	}
	if spec.Ordinals != nil {
		errs = append(errs, workload.NonNegative(&spec.Ordinals.Start, specPath.Child("ordinals", "start"))...)
	}
	errs = append(errs, validateRetention(spec.PersistentVolumeClaimRetentionPolicy, specPath.Child("persistentVolumeClaimRetentionPolicy"))...)
	return append(errs, validateClaimTemplates(spec.VolumeClaimTemplates, specPath.Child("volumeClaimTemplates"))...)
}

// templateWithClaims returns the pod template as the controller completes
// it: each claim template not shadowed by a template volume becomes a
// volume, so that the containers' mounts of claims validate.
func templateWithClaims(spec *appsv1.StatefulSetSpec) *corev1.PodTemplateSpec {
	if len(spec.VolumeClaimTemplates) == 0 {
		return &spec.Template
	}
	t := spec.Template.DeepCopy()
	have := map[string]bool{}
	for _, v := range t.Spec.Volumes {
		have[v.Name] = true
	}
	for _, c := range spec.VolumeClaimTemplates {
		if c.Name != "" && !have[c.Name] {
			src := corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}
			t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: c.Name, VolumeSource: src})
		}
	}
	return t
}

func validateStatefulSetUpdateStrategy(s *appsv1.StatefulSetUpdateStrategy, p *field.Path) field.ErrorList {
	switch s.Type {
	case "":
		return field.ErrorList{field.Required(p, "")}
	case appsv1.OnDeleteStatefulSetStrategyType:
		if s.RollingUpdate != nil {
			return field.ErrorList{field.Invalid(p.Child("rollingUpdate"), s.RollingUpdate, "only allowed for updateStrategy 'RollingUpdate'")}
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if s.RollingUpdate == nil {
			return nil
		}
		p = p.Child("rollingUpdate")
		errs := workload.NonNegative(s.RollingUpdate.Partition, p.Child("partition"))
		if mu := s.RollingUpdate.MaxUnavailable; mu != nil {
			errs = append(errs, workload.ValidateIntOrPercent(mu, p.Child("maxUnavailable"))...)
			if n, _ := workload.IntOrPercentValue(mu); n == 0 {
				errs = append(errs, field.Invalid(p.Child("maxUnavailable"), mu, "cannot be 0"))
			}
			errs = append(errs, workload.NotAbove100Percent(mu, p.Child("maxUnavailable"))...)
		}
		return errs
	default:
		return field.ErrorList{field.Invalid(p, s, "must be 'RollingUpdate' or 'OnDelete'")}
	}
	return nil
}

func validateRetention(policy *appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy, p *field.Path) field.ErrorList {
	if policy == nil {
		return nil
	}
	valid := []appsv1.PersistentVolumeClaimRetentionPolicyType{appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.DeletePersistentVolumeClaimRetentionPolicyType}
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		v    appsv1.PersistentVolumeClaimRetentionPolicyType
	}{{"whenDeleted", policy.WhenDeleted}, {"whenScaled", policy.WhenScaled}} {
		if f.v != valid[0] && f.v != valid[1] {
			errs = append(errs, field.NotSupported(p.Child(f.name), f.v, valid))
		}
	}
	return errs
}

func validateClaimTemplates(claims []corev1.PersistentVolumeClaim, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, c := range claims {
		np := p.Index(i).Child("metadata", "name")
		if c.Name == "" {
			errs = append(errs, field.Required(np, ""))
			continue
		}
		for _, msg := range apivalidation.NameIsDNSSubdomain(c.Name, false) {
			errs = append(errs, field.Invalid(np, c.Name, msg))
		}
	}
	return errs
}

const statefulSetSpecForbidden = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', " +
	"'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

// validateStatefulSetUpdate allows changes to the fields the controller
// can roll out and nothing else.
func validateStatefulSetUpdate(obj, old runtime.Object) field.ErrorList {
	spec, oldSpec := obj.(*appsv1.StatefulSet).Spec, &old.(*appsv1.StatefulSet).Spec
	spec.Replicas, spec.Ordinals, spec.Template = oldSpec.Replicas, oldSpec.Ordinals, oldSpec.Template
	spec.UpdateStrategy, spec.RevisionHistoryLimit = oldSpec.UpdateStrategy, oldSpec.RevisionHistoryLimit
	spec.PersistentVolumeClaimRetentionPolicy, spec.MinReadySeconds = oldSpec.PersistentVolumeClaimRetentionPolicy, oldSpec.MinReadySeconds
	if !equality.Semantic.DeepEqual(&spec, oldSpec) {
		return field.ErrorList{field.Forbidden(specPath, statefulSetSpecForbidden)}
	}
	return nil
}

func validateStatefulSetStatus(obj, old runtime.Object) field.ErrorList {
	st, oldSt := &obj.(*appsv1.StatefulSet).Status, &old.(*appsv1.StatefulSet).Status
	errs := workload.NonNegativeCounts(statusPath,
		workload.C("observedGeneration", st.ObservedGeneration), workload.C("replicas", st.Replicas),
		workload.C("readyReplicas", st.ReadyReplicas), workload.C("currentReplicas", st.CurrentReplicas),
		workload.C("updatedReplicas", st.UpdatedReplicas), workload.C("availableReplicas", st.AvailableReplicas))
	errs = append(errs, workload.NonNegative(st.CollisionCount, statusPath.Child("collisionCount"))...)
	errs = append(errs, workload.AtMost(statusPath, int64(st.Replicas), aboveReplicas,
		workload.C("readyReplicas", st.ReadyReplicas), workload.C("currentReplicas", st.CurrentReplicas),
		workload.C("updatedReplicas", st.UpdatedReplicas), workload.C("availableReplicas", st.AvailableReplicas))...)
	errs = append(errs, workload.AtMost(statusPath, int64(st.ReadyReplicas), aboveReady, workload.C("availableReplicas", st.AvailableReplicas))...)
	return append(errs, workload.NotDecremented(st.CollisionCount, oldSt.CollisionCount, statusPath.Child("collisionCount"))...)
}
