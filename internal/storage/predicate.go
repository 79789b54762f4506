package storage

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// AttrFunc returns the labels and selectable fields of an object.
type AttrFunc func(obj runtime.Object) (labels.Set, fields.Set)

// Predicate selects objects by label and field selectors.
type Predicate struct {
	Label    labels.Selector
	Field    fields.Selector
	GetAttrs AttrFunc
}

// Everything reports whether the predicate matches all objects.
func (p Predicate) Everything() bool {
	return (p.Label == nil || p.Label.Empty()) && (p.Field == nil || p.Field.Empty())
}

// Matches reports whether obj passes both selectors.
func (p Predicate) Matches(obj runtime.Object) bool {
	if p.Everything() {
		return true
	}
	ls, fs := p.GetAttrs(obj)
	if p.Label != nil && !p.Label.Matches(ls) {
		return false
	}
	return p.Field == nil || p.Field.Matches(fs)
}
