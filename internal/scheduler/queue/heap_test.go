package queue

import (
	"strconv"
	"strings"
	"testing"
)

type heapItem struct {
	name string
	prio int
}

// TestKeyedHeap checks order and the key index through pushes, updates
// and deletes: every item must stay reachable by its key wherever the
// swaps moved it.
func TestKeyedHeap(t *testing.T) {
	h := newKeyedHeap(func(x *heapItem) string { return x.name }, func(a, b *heapItem) bool { return a.prio < b.prio })
	for i, p := range []int{5, 3, 8, 1, 9, 2, 7} {
		h.AddOrUpdate(&heapItem{name: "p" + strconv.Itoa(i), prio: p})
	}
	h.AddOrUpdate(&heapItem{name: "p2", prio: 0}) // 8 -> 0: now the top
	if !h.Delete("p4") || h.Delete("p4") {
		t.Fatal("Delete p4: want true once, then false")
	}
	for i := range h.items {
		if h.index[h.items[i].key] != i {
			t.Fatalf("index of %s = %d, want %d", h.items[i].key, h.index[h.items[i].key], i)
		}
		if got, ok := h.Get(h.items[i].key); !ok || got != h.items[i].item {
			t.Fatalf("Get(%s) = %v, %v", h.items[i].key, got, ok)
		}
	}
	var got []string
	for {
		x, ok := h.Pop()
		if !ok {
			break
		}
		got = append(got, x.name)
	}
	want := "p2 p3 p5 p1 p0 p6"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("pop order %q, want %q", s, want)
	}
	if len(h.index) != 0 {
		t.Fatalf("index not empty after popping all: %v", h.index)
	}
}
