//go:build go1.27

package main

// Generic methods of generic types (Go 1.27): the runtime prints their
// names with both type-argument groups shortened, main.(*box[...]).convert[...],
// in frames and in "created by" lines.

type box[T any] struct{ v T }

//go:noinline
func (b *box[T]) convert[U any](f func(T) U) U { return f(b.v) }

// park starts a goroutine that waits inside a generic method forever.
//
//go:noinline
func (b *box[T]) park[U any](never chan U) {
	go func() { <-never }()
}

func init() {
	modes.add("generic-method", true, func(w *waiters) {
		b := &box[int]{v: 3}
		box2 := &box[string]{v: "x"}
		box2.park[struct{}](make(chan struct{}))
		settle()
		var p *int
		b.convert[string](func(int) string { return string(rune(*p + 1)) })
	})
}
