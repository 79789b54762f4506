package events

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

func event(mut func(*eventsv1.Event)) *eventsv1.Event {
	e := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "e", Namespace: "ns", ResourceVersion: "1"},
		EventTime:           metav1.NewMicroTime(time.Unix(100, 0)),
		ReportingController: "example.com/ctl",
		ReportingInstance:   "ctl-1",
		Action:              "Sync",
		Reason:              "Synced",
		Type:                corev1.EventTypeNormal,
		Regarding:           corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "p"},
	}
	if mut != nil {
		mut(e)
	}
	return e
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		mut  func(*eventsv1.Event)
		want []string
	}{
		{"valid", nil, nil},
		{"cluster-scoped regarding", func(e *eventsv1.Event) { e.Regarding.Namespace = "" }, nil},
		{"no eventTime", func(e *eventsv1.Event) { e.EventTime = metav1.MicroTime{} }, []string{"eventTime"}},
		{"no controller", func(e *eventsv1.Event) { e.ReportingController = "" }, []string{"reportingController"}},
		{"unqualified controller", func(e *eventsv1.Event) { e.ReportingController = "a/b/c" }, []string{"reportingController"}},
		{"no instance", func(e *eventsv1.Event) { e.ReportingInstance = "" }, []string{"reportingInstance"}},
		{"no action", func(e *eventsv1.Event) { e.Action = "" }, []string{"action"}},
		{"no reason", func(e *eventsv1.Event) { e.Reason = "" }, []string{"reason"}},
		{"bad type", func(e *eventsv1.Event) { e.Type = "Info" }, []string{"type"}},
		{"long note", func(e *eventsv1.Event) { e.Note = strings.Repeat("x", maxNote+1) }, []string{"note"}},
		{"foreign namespace", func(e *eventsv1.Event) { e.Regarding.Namespace = "other" }, []string{"regarding.namespace"}},
		{"short series", func(e *eventsv1.Event) { e.Series = &eventsv1.EventSeries{Count: 1} }, []string{"series.count", "series.lastObservedTime"}},
		{"deprecated count", func(e *eventsv1.Event) { e.DeprecatedCount = 2 }, []string{"deprecatedCount"}},
	}
	st := Strategies()["events"]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(st.Validate(event(c.mut))); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	st := Strategies()["events"]
	series := event(func(e *eventsv1.Event) {
		e.Series = &eventsv1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(time.Unix(200, 0))}
	})
	if errs := st.ValidateUpdate(series, event(nil)); len(errs) > 0 {
		t.Errorf("series update: %v", errs)
	}
	changed := event(func(e *eventsv1.Event) {
		e.Reason, e.Action, e.Note = "Other", "Other", "n"
		e.Regarding.Name = "q"
		e.EventTime = metav1.NewMicroTime(time.Unix(300, 0))
	})
	want := []string{"action", "eventTime", "note", "reason", "regarding"}
	if got := resttest.Paths(st.ValidateUpdate(changed, event(nil))); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSelectableFields(t *testing.T) {
	set := Strategies()["events"].(rest.FieldsStrategy).SelectableFields(event(nil))
	for k, v := range map[string]string{"regarding.kind": "Pod", "regarding.name": "p", "reason": "Synced", "type": "Normal", "reportingController": "example.com/ctl", "metadata.namespace": "ns"} {
		if set[k] != v {
			t.Errorf("%s = %q, want %q", k, set[k], v)
		}
	}
}
