package core

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func namespaceStrategy() object[*corev1.Namespace] {
	return object[*corev1.Namespace]{
		nameFn:   apivalidation.ValidateNamespaceName,
		defaults: defaultNamespace,
		create:   prepareNamespaceCreate,
		update: func(ns, old *corev1.Namespace) {
			// spec.finalizers change only through namespaces/finalize.
			ns.Spec.Finalizers = old.Spec.Finalizers
		},
		keepStatus:     func(ns, old *corev1.Namespace) { ns.Status = old.Status },
		keepSpec:       func(ns, old *corev1.Namespace) { ns.Spec = old.Spec },
		validate:       validateNamespace,
		validateStatus: validateNamespaceStatus,
		fields: func(ns *corev1.Namespace) fields.Set {
			// "name" is a Kubernetes bug kept for compatibility.
			return fields.Set{"status.phase": string(ns.Status.Phase), "name": ns.Name}
		},
	}
}

// defaultNamespace labels a namespace with its own name so that
// selectors can pick namespaces by name.
func defaultNamespace(ns *corev1.Namespace) {
	if ns.Name != "" {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[corev1.LabelMetadataName] = ns.Name
	}
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

// prepareNamespaceCreate starts a namespace Active with the finalizer the
// namespace controller removes once the contents are gone.
func prepareNamespaceCreate(ns *corev1.Namespace) {
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
	}
}

func validateNamespace(ns *corev1.Namespace) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec", "finalizers")
	for _, f := range ns.Spec.Finalizers {
		errs = append(errs, validateFinalizerName(string(f), p)...)
	}
	return errs
}

// validateFinalizerName accepts "kubernetes" or a qualified name.
func validateFinalizerName(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range content.IsQualifiedName(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if len(errs) == 0 && !strings.Contains(name, "/") && name != string(corev1.FinalizerKubernetes) {
		errs = append(errs, field.Invalid(p, name, "name is neither a standard finalizer name nor is it fully qualified"))
	}
	return errs
}

// validateNamespaceStatus ties the phase to deletion: Active until the
// namespace is deleted, Terminating after.
func validateNamespaceStatus(ns, _ *corev1.Namespace) field.ErrorList {
	// Kubernetes reports this on "status.Phase", capital P.
	p := field.NewPath("status", "Phase")
	switch {
	case ns.DeletionTimestamp.IsZero() && ns.Status.Phase != corev1.NamespaceActive:
		return field.ErrorList{field.Invalid(p, ns.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty")}
	case !ns.DeletionTimestamp.IsZero() && ns.Status.Phase != corev1.NamespaceTerminating:
		return field.ErrorList{field.Invalid(p, ns.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")}
	}
	return nil
}
