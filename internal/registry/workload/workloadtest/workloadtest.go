// Package workloadtest helps the tests of the workload strategies: it runs
// a strategy the way the generic store does and compares validation errors
// by field path and type.
package workloadtest

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// UID is the uid Create gives new objects.
const UID = "0b6a7c1e-7e3a-4c61-9d3e-6f1b2b1c0a11"

// Meta returns the metadata of a new object in namespace "default".
func Meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default"}
}

// Template returns a valid pod template with the given labels.
func Template(labels map[string]string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}
}

// Create runs the create path of the store on obj: server metadata,
// Default, PrepareForCreate, Validate.
func Create(s rest.Strategy, obj runtime.Object) field.ErrorList {
	m := rest.Meta(obj)
	m.UID, m.Generation = UID, 1
	s.Default(obj)
	s.PrepareForCreate(obj)
	return s.Validate(obj)
}

// Update runs the update path of the store: Default, PrepareForUpdate,
// ValidateUpdate. Like a client's read-modify-write, obj carries old's
// resourceVersion (set to "1" if old is not stored) unless it has one.
func Update(s rest.Strategy, obj, old runtime.Object) field.ErrorList {
	if m := rest.Meta(old); m.ResourceVersion == "" {
		m.ResourceVersion = "1"
	}
	if m := rest.Meta(obj); m.ResourceVersion == "" {
		m.ResourceVersion = rest.Meta(old).ResourceVersion
	}
	s.Default(obj)
	s.PrepareForUpdate(obj, old)
	return s.ValidateUpdate(obj, old)
}

// Keys renders errors as "field: type", sorted.
func Keys(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Field+": "+e.Type.String())
	}
	slices.Sort(out)
	return out
}

// Expect fails t unless errs are exactly want ("field: type" each, any order).
func Expect(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	want = slices.Clone(want)
	slices.Sort(want)
	if got := Keys(errs); !slices.Equal(got, want) {
		t.Errorf("errors = %q\nwant %q\nfull: %v", got, want, errs.ToAggregate())
	}
}
