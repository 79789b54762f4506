package crd

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateListType enforces x-kubernetes-list-type: a "set" holds no
// value twice, a "map" no two items with the same x-kubernetes-list-map-keys.
// Each repeated value is reported once, at its second appearance, as
// Kubernetes does.
func validateListType(arr []any, s *Schema, path *field.Path) field.ErrorList {
	if s.XListType == nil || len(arr) < 2 {
		return nil
	}
	switch *s.XListType {
	case "set":
		var errs field.ErrorList
		for _, i := range repeats(arr) {
			errs = append(errs, field.Duplicate(path.Index(i), arr[i]))
		}
		return errs
	case "map":
		keys := make([]any, len(arr))
		for i, item := range arr {
			obj, ok := item.(map[string]any)
			if item != nil && !ok {
				return field.ErrorList{field.Invalid(path.Index(i), item, "must be an object for an array of list-type map")}
			}
			key := map[string]any{}
			for _, k := range s.XListMapKeys {
				if v, ok := obj[k]; ok {
					key[k] = v
				}
			}
			keys[i] = key
		}
		var errs field.ErrorList
		for _, i := range repeats(keys) {
			errs = append(errs, field.Duplicate(path.Index(i), keys[i]))
		}
		return errs
	}
	return nil
}

// repeats returns the index of the second appearance of every value that
// appears more than once, comparing values by their JSON.
func repeats(values []any) []int {
	seen := make(map[string]int, len(values))
	var out []int
	for i, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		seen[string(b)]++
		if seen[string(b)] == 2 {
			out = append(out, i)
		}
	}
	return out
}
