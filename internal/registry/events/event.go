// Package events holds the strategy of events.k8s.io Events.
package events

import (
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Length limits Kubernetes puts on Event strings.
const (
	maxInstance = 128
	maxAction   = 128
	maxReason   = 128
	maxNote     = 1024
)

// Strategies returns the strategies of events.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{"events": strategy{rest.Simple{
		Namespaced:       true,
		ValidateFn:       validateEvent,
		ValidateUpdateFn: validateEventUpdate,
	}}}
}

type strategy struct{ rest.Simple }

// SelectableFields lists what Kubernetes lets a field selector match on
// events.k8s.io Events.
func (strategy) SelectableFields(obj runtime.Object) fields.Set {
	e := obj.(*eventsv1.Event)
	r := e.Regarding
	return fields.Set{
		"metadata.name":             e.Name,
		"metadata.namespace":        e.Namespace,
		"regarding.kind":            r.Kind,
		"regarding.namespace":       r.Namespace,
		"regarding.name":            r.Name,
		"regarding.uid":             string(r.UID),
		"regarding.apiVersion":      r.APIVersion,
		"regarding.resourceVersion": r.ResourceVersion,
		"regarding.fieldPath":       r.FieldPath,
		"reason":                    e.Reason,
		"reportingController":       e.ReportingController,
		"type":                      e.Type,
	}
}

func validateEvent(obj runtime.Object) field.ErrorList {
	e := obj.(*eventsv1.Event)
	var errs field.ErrorList
	if e.EventTime.IsZero() {
		errs = append(errs, field.Required(field.NewPath("eventTime"), ""))
	}
	if e.Type != corev1.EventTypeNormal && e.Type != corev1.EventTypeWarning {
		errs = append(errs, field.NotSupported(field.NewPath("type"), e.Type, []string{corev1.EventTypeNormal, corev1.EventTypeWarning}))
	}
	if ns := e.Regarding.Namespace; ns != "" && ns != e.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("regarding", "namespace"), ns, "does not match event.namespace"))
	}
	errs = append(errs, validateReporter(e)...)
	errs = append(errs, validateSeries(e.Series)...)
	return append(errs, validateDeprecated(e)...)
}

// validateReporter checks who reported what.
func validateReporter(e *eventsv1.Event) field.ErrorList {
	errs := requiredShort("reportingController", e.ReportingController, 0)
	if e.ReportingController != "" {
		for _, msg := range utilvalidation.IsQualifiedName(e.ReportingController) {
			errs = append(errs, field.Invalid(field.NewPath("reportingController"), e.ReportingController, msg))
		}
	}
	errs = append(errs, requiredShort("reportingInstance", e.ReportingInstance, maxInstance)...)
	errs = append(errs, requiredShort("action", e.Action, maxAction)...)
	errs = append(errs, requiredShort("reason", e.Reason, maxReason)...)
	if len(e.Note) > maxNote {
		errs = append(errs, field.TooLong(field.NewPath("note"), "", maxNote))
	}
	return errs
}

// requiredShort requires a non-empty value of at most max bytes (0: no limit).
func requiredShort(name, v string, max int) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(field.NewPath(name), "")}
	case max > 0 && len(v) > max:
		return field.ErrorList{field.TooLong(field.NewPath(name), "", max)}
	}
	return nil
}

func validateSeries(s *eventsv1.EventSeries) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	if s.Count < 2 {
		errs = append(errs, field.Invalid(field.NewPath("series", "count"), s.Count, "should be at least 2"))
	}
	if s.LastObservedTime.IsZero() {
		errs = append(errs, field.Required(field.NewPath("series", "lastObservedTime"), ""))
	}
	return errs
}

// validateDeprecated keeps the core/v1-only fields empty: this API
// reports repetition through series.
func validateDeprecated(e *eventsv1.Event) field.ErrorList {
	var errs field.ErrorList
	unset := func(name string, set bool) {
		if set {
			errs = append(errs, field.Invalid(field.NewPath(name), "", "needs to be unset"))
		}
	}
	unset("deprecatedFirstTimestamp", !e.DeprecatedFirstTimestamp.IsZero())
	unset("deprecatedLastTimestamp", !e.DeprecatedLastTimestamp.IsZero())
	unset("deprecatedCount", e.DeprecatedCount != 0)
	unset("deprecatedSource", e.DeprecatedSource != corev1.EventSource{})
	return errs
}

// validateEventUpdate lets only series change, as Kubernetes does.
func validateEventUpdate(obj, old runtime.Object) field.ErrorList {
	e, o := obj.(*eventsv1.Event), old.(*eventsv1.Event)
	var errs field.ErrorList
	for _, f := range []struct {
		name     string
		new, old any
	}{
		{"eventTime", e.EventTime, o.EventTime},
		{"reportingController", e.ReportingController, o.ReportingController},
		{"reportingInstance", e.ReportingInstance, o.ReportingInstance},
		{"action", e.Action, o.Action},
		{"reason", e.Reason, o.Reason},
		{"regarding", e.Regarding, o.Regarding},
		{"related", e.Related, o.Related},
		{"note", e.Note, o.Note},
		{"type", e.Type, o.Type},
	} {
		errs = append(errs, apivalidation.ValidateImmutableField(f.new, f.old, field.NewPath(f.name))...)
	}
	return errs
}
