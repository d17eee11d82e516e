package main

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// statusCode is a named int: the runtime prints main.statusCode(503).
type statusCode int

// incident is a struct value: the runtime prints (main.incident) 0x....
type incident struct {
	id   int
	what string
}

// temperature is a Stringer.
type temperature float64

func (t temperature) String() string { return fmt.Sprintf("%.1f°C", float64(t)) }

// quotaError is a custom error type with a pointer receiver.
type quotaError struct {
	user  string
	limit int
}

func (e *quotaError) Error() string {
	return fmt.Sprintf("quota exceeded for %s (limit %d)", e.user, e.limit)
}

//go:noinline
func panicWith(v interface{}) {
	panic(v)
}

//go:noinline
func wrapped() error {
	return fmt.Errorf("saving report: %w", errors.New("disk full"))
}

func init() {
	modes.add("panic-string", true, func(*waiters) { panicWith("something went wrong") })
	modes.add("panic-error", true, func(*waiters) { panicWith(errors.New("disk full")) })
	modes.add("panic-wrapped", true, func(*waiters) { panicWith(wrapped()) })
	modes.add("panic-stringer", true, func(*waiters) { panicWith(temperature(451)) })
	modes.add("panic-custom-error", true, func(*waiters) {
		panicWith(&quotaError{user: "alice", limit: 10})
	})
	modes.add("panic-named-int", true, func(*waiters) { panicWith(statusCode(503)) })
	modes.add("panic-struct", true, func(*waiters) { panicWith(incident{id: 7, what: "overheat"}) })
	modes.add("panic-pointer", true, func(*waiters) { panicWith(&incident{id: 8, what: "leak"}) })
	modes.add("panic-nil", true, func(*waiters) { panicWith(nil) })
	// gen-cores.sh runs this one with GODEBUG=panicnil=0 (a PanicNilError from Go 1.21).
	modes.add("panic-nil-error", true, func(*waiters) { panicWith(nil) })
	modes.add("repanic", true, func(*waiters) { repanic() })
	modes.add("repanic-same", true, func(*waiters) { repanicSame() })
	modes.add("panic-then-fatal", true, func(*waiters) { panicThenFatal() })
	modes.add("panic-in-defer", true, func(*waiters) { panicInDefer() })
	modes.add("goexit-then-panic", true, func(*waiters) { goexitThenPanic() })
	modes.add("panic-join", true, func(*waiters) { panicWith(joinedErrors()) })
	modes.add("panic-bad-utf8", true, func(*waiters) {
		panicWith("bytes \xff\xfe, a cut \xe2\x82 rune, a surrogate \xed\xa0\x80 and \xc3\xa9 intact")
	})
	modes.add("panic-during-panic", true, func(*waiters) { panicWith(unprintable()) })
	modes.add("goroutine-panic", true, func(w *waiters) { crashElsewhere(w, func() { (&worker{}).fail() }) })
}

// repanic recovers a panic and panics again from the deferred function.
//
//go:noinline
func repanic() {
	defer func() {
		r := recover()
		panic(fmt.Sprintf("re-panic after recovering %v", r))
	}()
	panicWith("first failure")
}

// repanicSame recovers a panic and panics again with the same value: from
// Go 1.25 the runtime prints it once, marked [recovered, repanicked].
//
//go:noinline
func repanicSame() {
	defer func() {
		panic(recover())
	}()
	panicWith(errors.New("lost the lease"))
}

// panicThenFatal: a deferred call run by a panic hits a fatal error, so
// the runtime prints the panic and then the fatal error.
//
//go:noinline
func panicThenFatal() {
	var mu sync.Mutex
	defer mu.Unlock()
	panicWith("about to unlock an unlocked mutex")
}

// panicInDefer panics while a panic is running its deferred calls.
//
//go:noinline
func panicInDefer() {
	defer func() {
		panic(&quotaError{user: "bob", limit: 3})
	}()
	panicWith(statusCode(500))
}

// goexitThenPanic: a goroutine calls runtime.Goexit, and a deferred call
// run by Goexit recovers nothing and panics.
//
//go:noinline
func goexitThenPanic() {
	// never closed: a deferred close would run while the panic unwinds and
	// let main run (and exit) between the runtime's traceback and the core
	done := make(chan struct{})
	go func() {
		defer func() {
			panic("panic while exiting the goroutine")
		}()
		runtime.Goexit()
	}()
	<-done
}

//go:noinline
func (w *worker) fail() {
	panic(fmt.Sprintf("worker failed with %d items", 42))
}

// crashElsewhere runs fn on a new goroutine and parks the caller.
//
//go:noinline
func crashElsewhere(w *waiters, fn func()) {
	go fn()
	<-w.never
}

// label is a named string type: the runtime prints main.label("...") by
// reading the string header the interface's data word points to.
type label string

// corruptData points the data word of *e at an unmapped address.
//
//go:noinline
func corruptData(e *interface{}) {
	(*[2]uintptr)(unsafe.Pointer(e))[1] = 0x10
}

// unprintable is a main.label whose data word points at address 0x10:
// nothing reads it until the runtime prints the panic value, on the
// system stack after startpanic_m, so the fault there is a "panic during
// panic" (m.dying 1 -> 2) on every release.
//
//go:noinline
func unprintable() interface{} {
	var e interface{} = label("never printed")
	corruptData(&e)
	return e
}
