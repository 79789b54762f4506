package queue

import "container/heap"

// keyedHeap is a heap of items addressable by key.
type keyedHeap[T any] struct {
	// items keep their keys: each swap re-indexes two items, and
	// computing a key (namespace/name) allocates.
	items []keyed[T]
	index map[string]int
	key   func(T) string
	less  func(a, b T) bool
}

type keyed[T any] struct {
	key  string
	item T
}

func newKeyedHeap[T any](key func(T) string, less func(a, b T) bool) *keyedHeap[T] {
	return &keyedHeap[T]{index: map[string]int{}, key: key, less: less}
}

// heap.Interface, on a wrapper so that its methods stay out of the API.
type heapImpl[T any] struct{ h *keyedHeap[T] }

func (w heapImpl[T]) Len() int           { return len(w.h.items) }
func (w heapImpl[T]) Less(i, j int) bool { return w.h.less(w.h.items[i].item, w.h.items[j].item) }
func (w heapImpl[T]) Swap(i, j int) {
	h := w.h
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.index[h.items[i].key] = i
	h.index[h.items[j].key] = j
}
func (w heapImpl[T]) Push(x any) {
	h := w.h
	e := x.(keyed[T])
	h.index[e.key] = len(h.items)
	h.items = append(h.items, e)
}
func (w heapImpl[T]) Pop() any {
	h := w.h
	n := len(h.items) - 1
	x := h.items[n]
	h.items[n] = keyed[T]{}
	h.items = h.items[:n]
	delete(h.index, x.key)
	return x.item
}

// AddOrUpdate inserts x or replaces the item with x's key.
func (h *keyedHeap[T]) AddOrUpdate(x T) {
	k := h.key(x)
	if i, ok := h.index[k]; ok {
		h.items[i].item = x
		heap.Fix(heapImpl[T]{h}, i)
		return
	}
	heap.Push(heapImpl[T]{h}, keyed[T]{k, x})
}

// Get returns the item with key k.
func (h *keyedHeap[T]) Get(k string) (T, bool) {
	if i, ok := h.index[k]; ok {
		return h.items[i].item, true
	}
	var zero T
	return zero, false
}

// Delete removes the item with key k, reporting whether there was one.
func (h *keyedHeap[T]) Delete(k string) bool {
	i, ok := h.index[k]
	if ok {
		heap.Remove(heapImpl[T]{h}, i)
	}
	return ok
}

// Peek returns the top item.
func (h *keyedHeap[T]) Peek() (T, bool) {
	if len(h.items) == 0 {
		var zero T
		return zero, false
	}
	return h.items[0].item, true
}

// Pop removes and returns the top item.
func (h *keyedHeap[T]) Pop() (T, bool) {
	if len(h.items) == 0 {
		var zero T
		return zero, false
	}
	return heap.Pop(heapImpl[T]{h}).(T), true
}

// Len returns the number of items.
func (h *keyedHeap[T]) Len() int { return len(h.items) }
