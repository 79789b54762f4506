// Package resttest holds what the registry packages' tests share.
package resttest

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Paths returns the sorted field paths of errs, so a test can compare
// where validation failed without its wording.
func Paths(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return out
}
