package core

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Length limits Kubernetes puts on new-style (eventTime) Events.
const (
	maxEventShort   = 128 // reportingInstance, action, reason
	maxEventMessage = 1024
)

func eventStrategy() simpleWithFields[*corev1.Event] {
	return simpleWithFields[*corev1.Event]{
		Simple: rest.Simple{Namespaced: true, ValidateFn: typed(validateEvent)},
		fields: eventFields,
	}
}

// validateEvent is Kubernetes' validation of core/v1 Events, which keeps
// old-style Events (no eventTime) as loose as they always were.
func validateEvent(e *corev1.Event) field.ErrorList {
	nsPath := field.NewPath("involvedObject", "namespace")
	mismatch := field.Invalid(nsPath, e.InvolvedObject.Namespace, "does not match event.namespace")
	if e.EventTime.IsZero() {
		// Old clients put cluster-scoped objects' events in "default".
		ns := e.InvolvedObject.Namespace
		if (ns == "" && e.Namespace != metav1.NamespaceNone && e.Namespace != metav1.NamespaceDefault) || (ns != "" && ns != e.Namespace) {
			return field.ErrorList{mismatch}
		}
		return nil
	}
	var errs field.ErrorList
	if e.InvolvedObject.Namespace == "" && e.Namespace != metav1.NamespaceDefault && e.Namespace != metav1.NamespaceSystem {
		errs = append(errs, mismatch)
	}
	rc := field.NewPath("reportingComponent")
	if e.ReportingController == "" {
		errs = append(errs, field.Required(rc, ""))
	} else {
		for _, msg := range content.IsQualifiedName(e.ReportingController) {
			errs = append(errs, field.Invalid(rc, e.ReportingController, msg))
		}
	}
	errs = append(errs, requiredUpTo("reportingInstance", e.ReportingInstance, maxEventShort)...)
	errs = append(errs, requiredUpTo("action", e.Action, maxEventShort)...)
	errs = append(errs, requiredUpTo("reason", e.Reason, maxEventShort)...)
	if len(e.Message) > maxEventMessage {
		errs = append(errs, field.Invalid(field.NewPath("message"), "", fmt.Sprintf("can have at most %v characters", maxEventMessage)))
	}
	return errs
}

func requiredUpTo(name, v string, max int) field.ErrorList {
	p := field.NewPath(name)
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "")}
	case len(v) > max:
		return field.ErrorList{field.Invalid(p, "", fmt.Sprintf("can have at most %v characters", max))}
	}
	return nil
}

// eventFields are the field selectors Kubernetes serves for core Events.
func eventFields(e *corev1.Event) fields.Set {
	o := e.InvolvedObject
	source := e.Source.Component
	if source == "" {
		source = e.ReportingController
	}
	return fields.Set{
		"involvedObject.kind":            o.Kind,
		"involvedObject.namespace":       o.Namespace,
		"involvedObject.name":            o.Name,
		"involvedObject.uid":             string(o.UID),
		"involvedObject.apiVersion":      o.APIVersion,
		"involvedObject.resourceVersion": o.ResourceVersion,
		"involvedObject.fieldPath":       o.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         source,
		"type":                           e.Type,
	}
}
