package networking

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var strats = Strategies()

func paths(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return out
}

type validateCase[T runtime.Object] struct {
	name string
	mut  func(T)
	want []string
}

// runValidate defaults and validates build(mut) for each case and compares
// the sorted field paths of the errors.
func runValidate[T runtime.Object](t *testing.T, resource string, build func(func(T)) T, cases []validateCase[T]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := build(c.mut)
			strats[resource].Default(obj)
			if got := paths(strats[resource].Validate(obj)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}
