package core

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
)

var specPath = field.NewPath("spec")

func podStrategy() object[*corev1.Pod] {
	return object[*corev1.Pod]{
		namespaced: true,
		defaults:   podspec.DefaultPod,
		create:     preparePodCreate,
		// Pods count spec changes in generation since Kubernetes 1.33.
		spec:       func(p *corev1.Pod) any { return p.Spec },
		keepStatus: func(p, old *corev1.Pod) { p.Status = old.Status },
		keepSpec: func(p, old *corev1.Pod) {
			p.Spec = old.Spec
			// Old kubelets corrupted owner references through status.
			p.OwnerReferences = old.OwnerReferences
		},
		validate: func(p *corev1.Pod) field.ErrorList { return podspec.ValidatePodSpec(&p.Spec, specPath) },
		validateUpdate: func(p, old *corev1.Pod) field.ErrorList {
			return podspec.ValidatePodSpecUpdate(&p.Spec, &old.Spec, specPath)
		},
		validateStatus: validatePodStatus,
		fields:         podFields,
	}
}

// preparePodCreate starts a pod Pending with its QoS class; a pod with
// scheduling gates also says why it is not scheduled.
func preparePodCreate(p *corev1.Pod) {
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: QOSClass(p)}
	if len(p.Spec.SchedulingGates) > 0 {
		p.Status.Conditions = []corev1.PodCondition{{
			Type:    corev1.PodScheduled,
			Status:  corev1.ConditionFalse,
			Reason:  corev1.PodReasonSchedulingGated,
			Message: "Scheduling is blocked due to non-empty scheduling gates",
		}}
	}
}

// QOSClass computes a pod's quality of service from its CPU and memory:
// Guaranteed when every container limits both and requests equal limits,
// BestEffort when nothing is requested or limited, Burstable otherwise.
// Pod-level resources, when set, stand in for the containers'.
func QOSClass(p *corev1.Pod) corev1.PodQOSClass {
	var all []corev1.ResourceRequirements
	if p.Spec.Resources != nil {
		all = []corev1.ResourceRequirements{*p.Spec.Resources}
	} else {
		for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
			for _, c := range cs {
				all = append(all, c.Resources)
			}
		}
	}
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	guaranteed := true
	for _, r := range all {
		sumPositive(requests, r.Requests)
		if sumPositive(limits, r.Limits) < 2 {
			guaranteed = false
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	for name, req := range requests {
		if lim, ok := limits[name]; !ok || lim.Cmp(req) != 0 {
			guaranteed = false
		}
	}
	if guaranteed && len(requests) == len(limits) {
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// sumPositive adds the positive CPU and memory quantities of l to sum and
// returns how many of the two l had.
func sumPositive(sum, l corev1.ResourceList) int {
	n := 0
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		q, ok := l[name]
		if !ok || q.Sign() <= 0 {
			continue
		}
		n++
		total := q.DeepCopy()
		if prev, ok := sum[name]; ok {
			total.Add(prev)
		}
		sum[name] = total
	}
	return n
}

// validatePodStatus checks what kubelets and schedulers write.
func validatePodStatus(p, old *corev1.Pod) field.ErrorList {
	sp := field.NewPath("status")
	var errs field.ErrorList
	if n := p.Status.NominatedNodeName; n != "" && n != old.Status.NominatedNodeName {
		for _, msg := range validation.IsDNS1123Subdomain(n) {
			errs = append(errs, field.Invalid(sp.Child("nominatedNodeName"), n, msg))
		}
	}
	for i, ip := range p.Status.PodIPs {
		errs = append(errs, validation.IsValidIP(sp.Child("podIPs").Index(i).Child("ip"), ip.IP)...)
	}
	for i, ip := range p.Status.HostIPs {
		errs = append(errs, validation.IsValidIP(sp.Child("hostIPs").Index(i).Child("ip"), ip.IP)...)
	}
	if len(p.Status.PodIPs) > 0 && p.Status.PodIP != p.Status.PodIPs[0].IP {
		errs = append(errs, field.Invalid(sp.Child("podIP"), p.Status.PodIP, "must match the first entry of `podIPs`"))
	}
	for i, c := range p.Status.Conditions {
		if c.Type == "" {
			errs = append(errs, field.Required(sp.Child("conditions").Index(i).Child("type"), ""))
		}
	}
	return errs
}

// podFields are the field selectors Kubernetes serves for pods.
func podFields(p *corev1.Pod) fields.Set {
	podIP := p.Status.PodIP
	if len(p.Status.PodIPs) > 0 {
		podIP = p.Status.PodIPs[0].IP
	}
	return fields.Set{
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(p.Spec.HostNetwork),
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             podIP,
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	}
}
