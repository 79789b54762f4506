package workload

import (
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Count is one named status counter.
type Count struct {
	Name  string
	Value int64
}

// C names a counter.
func C[T ~int32 | ~int64](name string, v T) Count { return Count{name, int64(v)} }

// NonNegativeCounts checks that every counter below path is >= 0.
func NonNegativeCounts(path *field.Path, counts ...Count) field.ErrorList {
	var errs field.ErrorList
	for _, c := range counts {
		errs = append(errs, apivalidation.ValidateNonnegativeField(c.Value, path.Child(c.Name))...)
	}
	return errs
}

// AtMost checks that no counter exceeds limit; msg names the limit
// ("cannot be greater than status.replicas").
func AtMost(path *field.Path, limit int64, msg string, counts ...Count) field.ErrorList {
	var errs field.ErrorList
	for _, c := range counts {
		if c.Value > limit {
			errs = append(errs, field.Invalid(path.Child(c.Name), c.Value, msg))
		}
	}
	return errs
}

// NotDecremented checks that a counter such as status.collisionCount only
// grows.
func NotDecremented(v, old *int32, path *field.Path) field.ErrorList {
	if old == nil || (v != nil && *v >= *old) {
		return nil
	}
	var n int32
	if v != nil {
		n = *v
	}
	return field.ErrorList{field.Invalid(path, n, "cannot be decremented")}
}
