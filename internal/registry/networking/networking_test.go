package networking

import (
	"slices"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	"k8s.io/apimachinery/pkg/runtime"
)

var strats = Strategies()

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
			if got := resttest.Paths(strats[resource].Validate(obj)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}
