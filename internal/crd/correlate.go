package crd

import "reflect"

// fieldOf returns the old object's field name, nil when old is no
// object or lacks it.
func fieldOf(old *any, name string) *any {
	if old == nil {
		return nil
	}
	m, ok := (*old).(map[string]any)
	if !ok {
		return nil
	}
	v, ok := m[name]
	if !ok {
		return nil
	}
	return &v
}

// oldItems pairs each item of arr with its old counterpart. As in
// Kubernetes only list-type map items correlate (by their keys); items
// of other lists have none, so transition rules below them do not run.
func oldItems(arr []any, old *any, s *Schema) []*any {
	out := make([]*any, len(arr))
	if old == nil || s.XListType == nil || *s.XListType != "map" {
		return out
	}
	prev, _ := (*old).([]any)
	for i, item := range arr {
		for _, p := range prev {
			if sameKeys(item, p, s.XListMapKeys) {
				out[i] = &p
				break
			}
		}
	}
	return out
}

func sameKeys(a, b any, keys []string) bool {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return false
	}
	for _, k := range keys {
		if !reflect.DeepEqual(am[k], bm[k]) {
			return false
		}
	}
	return true
}
