package crd

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateComposite applies allOf, anyOf, oneOf and not with Kubernetes'
// messages. Where no alternative passes, the errors of the first failing
// one are reported too, so the user sees what to fix.
func validateComposite(value any, s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	fail := func(format string, args ...any) {
		errs = append(errs, field.Invalid(path, "", fmt.Sprintf("%q ", path.String())+fmt.Sprintf(format, args...)))
	}
	if len(s.AnyOf) > 0 {
		passed, first := alternatives(value, s.AnyOf, path)
		if passed == 0 {
			fail("must validate at least one schema (anyOf)")
			errs = append(errs, first...)
		}
	}
	if len(s.OneOf) > 0 {
		passed, first := alternatives(value, s.OneOf, path)
		switch passed {
		case 1:
		case 0:
			fail("must validate one and only one schema (oneOf). Found none valid")
			errs = append(errs, first...)
		default:
			fail("must validate one and only one schema (oneOf). Found %d valid alternatives", passed)
		}
	}
	if len(s.AllOf) > 0 {
		passed := 0
		for i := range s.AllOf {
			sub := Validate(value, &s.AllOf[i], path)
			if len(sub) == 0 {
				passed++
			}
			errs = append(errs, sub...)
		}
		if passed == 0 {
			fail("must validate all the schemas (allOf). None validated")
		} else if passed < len(s.AllOf) {
			fail("must validate all the schemas (allOf)")
		}
	}
	if s.Not != nil && len(Validate(value, s.Not, path)) == 0 {
		fail("must not validate the schema (not)")
	}
	return errs
}

// alternatives counts the schemas value passes and returns the errors of
// the first it fails.
func alternatives(value any, schemas []Schema, path *field.Path) (int, field.ErrorList) {
	passed := 0
	var first field.ErrorList
	for i := range schemas {
		sub := Validate(value, &schemas[i], path)
		if len(sub) == 0 {
			passed++
		} else if first == nil {
			first = sub
		}
	}
	return passed, first
}
