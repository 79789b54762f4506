// Package apps holds the strategies of the apps/v1 resources: deployments,
// replicasets, statefulsets, daemonsets and controllerrevisions.
package apps

import (
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// Strategies returns the strategies of the apps group.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"deployments":         deploymentStrategy,
		"replicasets":         replicaSetStrategy{replicaSetBase},
		"statefulsets":        statefulSetStrategy,
		"daemonsets":          daemonSetStrategy,
		"controllerrevisions": controllerRevisionStrategy,
	}
}

var (
	specPath   = field.NewPath("spec")
	statusPath = field.NewPath("status")
)

// validatePods checks the selector and pod template of a controller of
// long-running pods. Kubernetes names the kinds in its messages
// inconsistently: a ReplicaSet's empty selector is "invalid for
// deployment" and a Deployment's template is checked as a ReplicaSet's.
func validatePods(sel *metav1.LabelSelector, t *corev1.PodTemplateSpec, selectorKind, templateKind string) field.ErrorList {
	s, errs := workload.ValidateSelector(sel, "empty selector is invalid for "+selectorKind, specPath.Child("selector"))
	errs = append(errs, workload.ValidateTemplate(t, s, specPath.Child("template"))...)
	return append(errs, workload.ValidateLongRunning(t, templateKind, specPath.Child("template"))...)
}

// validateSizes checks the counts most apps specs share.
func validateSizes(replicas *int32, minReadySeconds int32, historyLimit *int32) field.ErrorList {
	errs := workload.NonNegative(replicas, specPath.Child("replicas"))
	errs = append(errs, workload.NonNegative(&minReadySeconds, specPath.Child("minReadySeconds"))...)
	return append(errs, workload.NonNegative(historyLimit, specPath.Child("revisionHistoryLimit"))...)
}

// selectorImmutable rejects a changed spec.selector, as apps/v1 does.
func selectorImmutable(sel, old *metav1.LabelSelector) field.ErrorList {
	return apivalidation.ValidateImmutableField(sel, old, specPath.Child("selector"))
}

const (
	aboveReplicas = "cannot be greater than status.replicas"
	aboveReady    = "cannot be greater than readyReplicas"
)
